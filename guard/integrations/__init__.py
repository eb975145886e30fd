"""Editor and agent integrations: generators that lead VS Code, Neovim, Claude Code, Codex and
Gemini CLI into ``guard run``, and the agents' pre-tool hook.

- ``plan``: the data a generator returns (files as old/new text, warnings, notes) and the
  ``Integration`` record the ``guard_integrations`` hook returns.
- ``jsonc`` / ``jsonc_edit``: read and splice JSON with comments, keeping the user's bytes.
- ``vscode``, ``nvim``, ``claude``, ``codex``, ``gemini``: one generator each.
- ``claude_pretool``: ``guard hook claude-pretool``, the hook every agent config calls;
  ``agent_command`` judges shell commands, ``protected_edits`` judges file paths.
- ``runner``: what ``guard editor`` / ``guard agent`` do with a plan (write, or ``--check``).
"""
