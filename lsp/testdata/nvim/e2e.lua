-- Drives Neovim 0.7's built-in LSP client against `gauntlet lsp`: opens each
-- broken file, waits for its diagnostics, fixes the buffer, waits for them to
-- clear. Writes what it saw as JSON to $GAUNTLET_OUT, then quits.
-- Run: GAUNTLET_BIN=... GAUNTLET_DIR=... GAUNTLET_OUT=... \
--        nvim --headless --clean -c 'luafile e2e.lua'
local bin, dir, out = vim.env.GAUNTLET_BIN, vim.env.GAUNTLET_DIR, vim.env.GAUNTLET_OUT
local result = { files = {}, log = {} }
-- How long each wait may take: the test's share of its deadline.
local wait_ms = tonumber(vim.env.GAUNTLET_WAIT_MS) or 20000

local function diags(buf)
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(list, { line = d.lnum, col = d.col, message = d.message, severity = d.severity, source = d.source })
  end
  return list
end

local function run()
  local id = vim.lsp.start_client({
    name = 'gauntlet',
    cmd = { bin, 'lsp', '--quiet' },
    root_dir = dir,
    flags = { debounce_text_changes = 0 },
    on_exit = function(code) result.exit_code = code end,
  })
  assert(id, 'start_client failed')
  result.client = true

  -- Each case: file, the line to replace (0-based) and its fixed text.
  local cases = {
    { file = 'broken.go', line = 3, fixed = '\treturn a + b' },
    { file = 'broken.py', line = 0, fixed = 'def add(a, b):' },
  }
  for _, c in ipairs(cases) do
    vim.cmd('edit ' .. vim.fn.fnameescape(dir .. '/' .. c.file))
    local buf = vim.api.nvim_get_current_buf()
    vim.lsp.buf_attach_client(buf, id)
    local r = { file = c.file, filetype = vim.bo[buf].filetype }
    r.saw_errors = vim.wait(wait_ms, function() return #vim.diagnostic.get(buf) > 0 end, 20)
    r.before = diags(buf)
    vim.api.nvim_buf_set_lines(buf, c.line, c.line + 1, false, { c.fixed })
    r.cleared = vim.wait(wait_ms, function() return #vim.diagnostic.get(buf) == 0 end, 20)
    r.after = diags(buf)
    -- Break it again: the errors come back.
    vim.api.nvim_buf_set_lines(buf, c.line, c.line + 1, false, { c.fixed .. ' (' })
    r.saw_errors_again = vim.wait(wait_ms, function() return #vim.diagnostic.get(buf) > 0 end, 20)
    table.insert(result.files, r)
  end
  local client = vim.lsp.get_client_by_id(id)
  result.server_name = client and client.server_capabilities and 'ok' or 'none'
  result.offset_encoding = client and client.offset_encoding
  vim.lsp.stop_client(id)
  result.stopped = vim.wait(wait_ms, function() return result.exit_code ~= nil end, 20)
end

local ok, err = pcall(run)
if not ok then result.error = tostring(err) end
vim.fn.writefile({ vim.fn.json_encode(result) }, out)
vim.cmd('qa!')
