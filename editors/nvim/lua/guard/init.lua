-- guard for Neovim: run commands in the guard sandbox, read the policy and the denial
-- log. Every process is started from an argv list (jobstart with a list), never a shell
-- string: the command comes from the user or the repository, and a shell would let
-- `$(...)` or `;` in it run outside the sandbox.
local M = {}

local defaults = {
  cmd = "guard", -- the guard executable
  run_output = "terminal", -- "terminal" or "quickfix": where :Guard run shows its output
}
local config = vim.deepcopy(defaults)

function M.setup(opts)
  config = vim.tbl_extend("force", vim.deepcopy(defaults), opts or {})
  if config.run_output ~= "terminal" and config.run_output ~= "quickfix" then
    error(('guard: run_output must be "terminal" or "quickfix", not %q'):format(tostring(config.run_output)))
  end
end

function M.config()
  return config
end

local function guard_argv(args)
  return vim.list_extend({ config.cmd }, args)
end

local function notify_missing()
  vim.notify(
    ("guard: %q is not executable; install guard or call require('guard').setup({cmd = '/path/to/guard'})"):format(
      config.cmd
    ),
    vim.log.levels.ERROR
  )
end

-- Open a split holding a terminal that runs argv; returns the job id and buffer.
local function open_terminal(argv, cwd)
  vim.cmd("botright new")
  local buf = vim.api.nvim_get_current_buf()
  local job
  if vim.fn.has("nvim-0.11") == 1 then
    job = vim.fn.jobstart(argv, { term = true, cwd = cwd })
  else
    job = vim.fn.termopen(argv, { cwd = cwd })
  end
  vim.b[buf].guard_job = job
  return job, buf
end

-- A scratch buffer named `guard://NAME` showing lines, reused on the next call.
local function show_scratch(name, lines)
  local bufname = "guard://" .. name
  local buf = vim.fn.bufnr(bufname)
  if buf == -1 then
    buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(buf, bufname)
    vim.bo[buf].bufhidden = "hide"
  end
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  if vim.fn.bufwinid(buf) == -1 then
    vim.cmd("botright split")
    vim.api.nvim_win_set_buf(0, buf)
  end
  return buf
end

-- Start argv and call on_done(code, lines) with stdout and stderr lines in the order
-- they arrived. Returns the job id (<= 0 when it could not start).
local function collect(argv, cwd, on_done)
  local lines = {}
  local function stream()
    local partial = ""
    return {
      feed = function(_, data)
        -- jobstart splits output at newlines; data[1] continues the previous chunk.
        data[1] = partial .. data[1]
        partial = table.remove(data)
        vim.list_extend(lines, data)
      end,
      flush = function()
        if partial ~= "" then
          table.insert(lines, partial)
          partial = ""
        end
      end,
    }
  end
  local out, err = stream(), stream()
  return vim.fn.jobstart(argv, {
    cwd = cwd,
    on_stdout = out.feed,
    on_stderr = err.feed,
    on_exit = function(_, code)
      out.flush()
      err.flush()
      vim.schedule(function()
        on_done(code, lines)
      end)
    end,
  })
end

-- Run guard ARGS... synchronously and return exit code and stdout (for :checkhealth).
-- Returns nil, message when guard cannot be started or does not finish in time.
function M.capture(args, timeout_ms)
  local stdout = {}
  local job = vim.fn.jobstart(guard_argv(args), {
    stdout_buffered = true,
    on_stdout = function(_, data)
      stdout = data
    end,
  })
  if job <= 0 then
    return nil, ("could not start %q"):format(config.cmd)
  end
  local code = vim.fn.jobwait({ job }, timeout_ms or 10000)[1]
  if code == -1 then
    vim.fn.jobstop(job)
    return nil, ("`%s %s` did not finish in time"):format(config.cmd, table.concat(args, " "))
  end
  return code, table.concat(stdout, "\n")
end

--- :Guard run [guard-run-options] -- CMD...
--- args: what follows `run`; a `--` is put in front when missing, so the command's
--- own flags are never read as guard's.
--- opts.output: "terminal" or "quickfix" (default: setup's run_output)
function M.run(args, opts)
  opts = opts or {}
  args = vim.deepcopy(args)
  if not vim.tbl_contains(args, "--") then
    table.insert(args, 1, "--")
  end
  if args[#args] == "--" then
    vim.notify("guard: usage: :Guard run -- CMD [ARGS...]", vim.log.levels.ERROR)
    return
  end
  if vim.fn.executable(config.cmd) ~= 1 then
    return notify_missing()
  end
  local argv = guard_argv(vim.list_extend({ "run" }, args))
  local cwd = opts.cwd or vim.fn.getcwd()
  if (opts.output or config.run_output) == "terminal" then
    return open_terminal(argv, cwd)
  end
  local title = table.concat(argv, " ")
  return collect(argv, cwd, function(code, lines)
    vim.fn.setqflist({}, " ", { title = title, lines = lines, efm = vim.o.errorformat })
    if code == 0 then
      vim.notify(("guard: %s: exit 0"):format(title))
    else
      vim.notify(("guard: %s: exit %d"):format(title, code), vim.log.levels.WARN)
      vim.cmd("botright copen")
    end
  end)
end

-- `guard NAME args...` with its output in the scratch buffer guard://NAME.
local function to_scratch(name, args)
  if vim.fn.executable(config.cmd) ~= 1 then
    return notify_missing()
  end
  return collect(guard_argv(vim.list_extend({ name }, args)), vim.fn.getcwd(), function(code, lines)
    if code ~= 0 then
      table.insert(lines, ("[guard %s exited with status %d]"):format(name, code))
      vim.notify(("guard %s exited with status %d"):format(name, code), vim.log.levels.ERROR)
    end
    show_scratch(name, lines)
  end)
end

function M.explain(args)
  return to_scratch("explain", args or {})
end

function M.log(args)
  args = args or {}
  -- --follow never ends: a terminal shows it live and stops it with the buffer.
  if vim.tbl_contains(args, "--follow") or vim.tbl_contains(args, "-f") then
    return open_terminal(guard_argv(vim.list_extend({ "log" }, args)), vim.fn.getcwd())
  end
  return to_scratch("log", args)
end

function M.trust(args)
  if vim.fn.executable(config.cmd) ~= 1 then
    return notify_missing()
  end
  -- A terminal, since guard trust shows what is being approved and may ask to confirm.
  return open_terminal(guard_argv(vim.list_extend({ "trust" }, args or {})), vim.fn.getcwd())
end

local handlers = { run = M.run, explain = M.explain, log = M.log, trust = M.trust }

function M.subcommands()
  local names = vim.tbl_keys(handlers)
  table.sort(names)
  return names
end

-- Entry point of :Guard; fargs as Neovim split them.
function M.command(fargs)
  local name = fargs[1]
  local handler = handlers[name]
  if not handler then
    vim.notify(
      ("guard: unknown subcommand %q; use one of: %s"):format(tostring(name), table.concat(M.subcommands(), ", ")),
      vim.log.levels.ERROR
    )
    return
  end
  return handler(vim.list_slice(fargs, 2))
end

return M
