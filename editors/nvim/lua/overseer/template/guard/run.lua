-- overseer.nvim template: run a command in the guard sandbox.
-- Enable with require("overseer").setup({ templates = { "builtin", "guard.run" } }).
-- Takes its executable from require("guard").setup({cmd = ...}) when the plugin is loaded.
local function guard_cmd()
  local ok, guard = pcall(require, "guard")
  return ok and guard.config().cmd or "guard"
end

return {
  name = "guard run",
  desc = "Run a command inside the guard sandbox (guard run -- CMD...)",
  params = {
    cmd = {
      type = "list",
      delimiter = " ",
      desc = "The command and its arguments",
      optional = false,
    },
  },
  condition = {
    callback = function()
      return vim.fn.executable(guard_cmd()) == 1
    end,
  },
  builder = function(params)
    -- An argv list: overseer starts a list without a shell.
    local args = { "run", "--" }
    vim.list_extend(args, params.cmd)
    return {
      name = "guard run -- " .. table.concat(params.cmd, " "),
      cmd = { guard_cmd() },
      args = args,
    }
  end,
}
