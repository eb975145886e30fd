-- :checkhealth guard: reports what `guard doctor --json` finds on this machine.
-- guard doctor --json prints
--   {"checks": [{"name": str, "ok": bool, "detail": str, "fix": str|null}],
--    "recommended_backend": str|null}
local M = {}

-- vim.health.ok & co. arrived in 0.10; 0.9 names them report_*.
local health = {
  start = vim.health.start or vim.health.report_start,
  ok = vim.health.ok or vim.health.report_ok,
  info = vim.health.info or vim.health.report_info,
  warn = vim.health.warn or vim.health.report_warn,
  error = vim.health.error or vim.health.report_error,
}

function M.check()
  local guard = require("guard")
  local cmd = guard.config().cmd
  health.start("guard")
  if vim.fn.executable(cmd) ~= 1 then
    health.error(("`%s` not found"):format(cmd), {
      "Install guard and put it on PATH",
      "or point the plugin at it: require('guard').setup({cmd = '/path/to/guard'})",
    })
    return
  end
  health.info(("using `%s`"):format(vim.fn.exepath(cmd)))

  -- doctor exits non-zero when a check fails; the JSON is what counts.
  local code, output = guard.capture({ "doctor", "--json" }, 20000)
  if code == nil then
    health.error(output)
    return
  end
  local ok, report = pcall(vim.json.decode, output)
  if not ok or type(report) ~= "table" or type(report.checks) ~= "table" then
    health.error(("`guard doctor --json` exited %d without the expected JSON"):format(code), {
      "Run `guard doctor` in a terminal to see what went wrong",
      "Output was: " .. output:sub(1, 200),
    })
    return
  end
  for _, check in ipairs(report.checks) do
    local message = ("%s: %s"):format(check.name, check.detail or "")
    if check.ok then
      health.ok(message)
    else
      local fix = check.fix ~= vim.NIL and check.fix or nil
      health.error(message, fix and { fix } or nil)
    end
  end
  local backend = report.recommended_backend
  if backend ~= nil and backend ~= vim.NIL then
    health.info(("recommended backend: %s"):format(backend))
  else
    health.warn("no sandbox backend can run on this machine", { "See the fixes above" })
  end
end

return M
