-- Man page conventions on top of pandoc's man writer: section headings in
-- capitals, and a NAME line of plain "name \- summary", which is what
-- whatis, apropos and lexgrog read.  The page's title is the metadata
-- value man-title: the document's own heading is written for the web.
local function upper_str(s)
  return pandoc.Str(s.text:upper())
end

function Pandoc(doc)
  local blocks = {}
  local section = nil
  for _, block in ipairs(doc.blocks) do
    if block.t == 'Header' and block.level == 1 then
      block = pandoc.walk_block(block, { Str = upper_str })
      section = pandoc.utils.stringify(block)
    elseif section == 'NAME' and block.t == 'Para' then
      local text = pandoc.utils.stringify(block)
      local name, summary = text:match('^(%S+) %- (.+)$')
      if not name then
        error('the Name section must read "name - summary": ' .. text)
      end
      block = pandoc.RawBlock('man', name .. ' \\- ' .. summary)
    end
    table.insert(blocks, block)
  end
  if doc.meta['man-title'] then
    doc.meta.title = doc.meta['man-title']
  end
  return pandoc.Pandoc(blocks, doc.meta)
end
