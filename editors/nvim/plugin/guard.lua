-- :Guard {run|explain|log|trust} [args...]
-- Arguments are split on whitespace (escape a space with a backslash) and passed to
-- guard as an argv list; no shell ever sees them.
if vim.g.loaded_guard then
  return
end
vim.g.loaded_guard = true

vim.api.nvim_create_user_command("Guard", function(opts)
  require("guard").command(opts.fargs)
end, {
  nargs = "+",
  desc = "Run guard: :Guard run -- CMD..., :Guard explain, :Guard log, :Guard trust",
  complete = function(arglead, cmdline)
    -- Only the subcommand is completed; what follows is the user's own command.
    if cmdline:match("^%s*%S+%s+%S*$") then
      return vim.tbl_filter(function(name)
        return vim.startswith(name, arglead)
      end, require("guard").subcommands())
    end
    return {}
  end,
})
