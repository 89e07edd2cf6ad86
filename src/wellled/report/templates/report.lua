--[[
wellled report filter: turns an executed Quarto-style notebook, read by pandoc with
`-f ipynb --ipynb-output=all`, into a clean report document for HTML and typst.

- drops the front-matter raw cell (its YAML reaches pandoc as metadata, see render.py), the
  `parameters` / `injected-parameters` cells and papermill's error banner;
- hides code unless `echo: true` (document `execute:` options, then `#| echo:` per cell) and honours
  `#| include: false`, `#| output: false|asis`, `#| warning: false`;
- picks one representation per output: an image, else Markdown (read as document content), else HTML
  (read into pandoc's model, so a DataFrame becomes a real table and scripts are dropped), else plain text;
- `#| label: fig-..` / `#| fig-cap:` / `#| fig-alt:` make figures, `#| label: tbl-..` / `#| tbl-cap:` caption
  a table; `@fig-..`, `@tbl-..` and `@sec-..` become cross-references;
- a cell labelled `report-title` gives the document its title (first paragraph) and subtitle (second), so the
  HTML <title>, the PDF's metadata and running header name the home and quarter;
- HTML: each table scrolls in its own focusable box; typst: figures carry their `alt` text, short captioned
  tables are kept whole with their caption, `.status-*` spans get their colour beside their words.
]]

local stringify = pandoc.utils.stringify
local HTML = FORMAT:match("html") ~= nil
local TYPST = FORMAT:match("typst") ~= nil
local MARKDOWN = "markdown-yaml_metadata_block-raw_tex-tex_math_single_backslash"
local HIDDEN_TAGS = {
  ["parameters"] = true, ["injected-parameters"] = true,
  ["remove-cell"] = true, ["papermill-error-cell-tag"] = true,
}

local defaults = { echo = false, warning = true, output = true, include = true }

-- A cell option or metadata value as a Lua boolean, string, list or nil.
local function plain(value)
  if value == nil or type(value) == "boolean" then return value end
  local kind = pandoc.utils.type(value)
  if kind == "List" then
    local items = {}
    for _, item in ipairs(value) do items[#items + 1] = plain(item) end
    return items
  end
  local text = stringify(value)
  if text == "true" then return true elseif text == "false" then return false end
  return text
end

local function decode_tags(attributes)
  local tags = {}
  local ok, list = pcall(pandoc.json.decode, attributes.tags or "[]")
  if ok and type(list) == "table" then
    for _, tag in ipairs(list) do tags[tag] = true end
  end
  return tags
end

-- A YAML scalar as Lua: true/false, a number-like or plain string (quotes removed); nil when it needs YAML.
local function scalar(text)
  local double = text:match('^"([^"\\]*)"$')
  if double then return double end
  local single = text:match("^'(.*)'$")
  if single and not single:gsub("''", ""):find("'") then return (single:gsub("''", "'")) end
  text = text:gsub("%s+#.*$", "")
  if text == "true" or text == "yes" then return true end
  if text == "false" or text == "no" then return false end
  if text == "" or text:match("^[%[{|>&*!%%@`'\"]") then return nil end
  return text
end

-- Split `#| key: value` lines off the top of a code cell: returns (options table, remaining code).
-- Simple `key: value` lines are read here (fast); anything else goes through pandoc's YAML reader.
local function cell_options(code)
  local yaml, rest, in_options = {}, {}, true
  for line in (code .. "\n"):gmatch("(.-)\r?\n") do
    if in_options and line:match("^#|") then
      yaml[#yaml + 1] = (line:gsub("^#|%s?", ""))
    else
      in_options = false
      rest[#rest + 1] = line
    end
  end
  local options, complex = {}, false
  for _, line in ipairs(yaml) do
    local key, value = line:match("^([%w_-]+):%s*(.-)%s*$")
    local parsed = key and scalar(value)
    if parsed == nil then complex = true else options[key] = parsed end
  end
  if complex then
    local ok, doc = pcall(pandoc.read, "---\n" .. table.concat(yaml, "\n") .. "\n---\n", "markdown")
    if ok then
      for key, value in pairs(doc.meta) do options[key] = value end
    end
  end
  return options, table.concat(rest, "\n"):gsub("%s+$", "")
end

local function inlines_of(value)
  if value == nil then return nil end
  if type(value) == "string" then return pandoc.utils.blocks_to_inlines(pandoc.read(value, MARKDOWN).blocks) end
  if pandoc.utils.type(value) == "Inlines" then return value end
  return pandoc.Inlines(pandoc.Str(stringify(value)))
end

local function nth(value, index)
  if value ~= nil and pandoc.utils.type(value) == "List" then return value[index] end
  return index == 1 and value or nil
end

local function image_of(block)
  if (block.t == "Para" or block.t == "Plain") and #block.content == 1 and block.content[1].t == "Image" then
    return block.content[1]
  end
end

local function read_markdown(text)
  return pandoc.read(text, MARKDOWN).blocks
end

-- pandas writes a named index as a second header row (index name, then blanks): fold it into the first.
local function fold_index_header(tbl)
  local rows = tbl.head.rows
  if #rows ~= 2 or #rows[1].cells ~= #rows[2].cells then return nil end
  local top, bottom = rows[1].cells, rows[2].cells
  for i = 1, #top do
    if #stringify(top[i].contents) > 0 and #stringify(bottom[i].contents) > 0 then return nil end
  end
  for i = 1, #top do
    if #stringify(top[i].contents) == 0 then top[i].contents = bottom[i].contents end
  end
  tbl.head.rows = { rows[1] }
  return tbl
end

local function is_number(text)
  return text:match("^[-+]?[%d,]*%.?%d+[%%]?$") ~= nil or text == "NaN" or text == "<NA>"
end

-- A table read from HTML has alignment from pandas' styles: numbers right, everything else left.
local function align_columns(tbl)
  fold_index_header(tbl)
  for i, spec in ipairs(tbl.colspecs) do
    local numbers, seen = true, false
    for _, body in ipairs(tbl.bodies) do
      for _, row in ipairs(body.body) do
        local text = row.cells[i] and stringify(row.cells[i].contents) or ""
        if text ~= "" then
          seen = true
          numbers = numbers and is_number(text)
        end
      end
    end
    tbl.colspecs[i] = { (numbers and seen) and "AlignRight" or "AlignLeft", spec[2] }
  end
  return tbl:walk({ Cell = function(cell) cell.alignment = "AlignDefault"; return cell end })
end

local function read_html(html)
  return pandoc.read(html, "html").blocks:walk({ Table = align_columns })
end

-- One output: pandoc put every representation of it in the div; pick the best. Returns blocks, or the
-- Markdown text (read later, together with the cell's other Markdown outputs).
local function choose(output, options)
  local classes = output.classes
  local asis = plain(options.output) == "asis"
  if classes:includes("stream") then
    if classes:includes("stderr") and not plain(options.warning) then return {} end
    local code = output.content[1]
    if code and code.t == "CodeBlock" and asis then return code.text end
    return output.content
  end
  local image, markdown, html, text
  for _, block in ipairs(output.content) do
    if image_of(block) then
      image = image or block
    elseif block.t == "RawBlock" and block.format == "markdown" then
      markdown = markdown or block.text
    elseif block.t == "RawBlock" and block.format == "html" then
      html = html or block.text
    elseif block.t == "CodeBlock" then
      text = block -- text/plain sorts last among the representations
    end
  end
  if image then return { image } end
  if markdown then return markdown end
  if html then return read_html(html) end
  if text and asis then return text.text end
  if text then return { pandoc.CodeBlock(text.text, { class = "output" }) } end
  return {}
end

local function make_figures(blocks, options)
  local caption, alt, label = options["fig-cap"], options["fig-alt"], plain(options.label)
  local is_figure = caption ~= nil or (type(label) == "string" and label:match("^fig%-"))
  local count = 0
  return blocks:walk({
    Para = function(para)
      local image = image_of(para)
      if not image then return nil end
      if TYPST and not image.attributes.width then image.attributes.width = "100%" end
      if not is_figure then return nil end
      count = count + 1
      local this_caption = inlines_of(nth(caption, count))
      local this_alt = nth(alt, count) or this_caption
      image.caption = this_alt and pandoc.Inlines(pandoc.Str(stringify(this_alt))) or pandoc.Inlines({})
      local id = ""
      if type(label) == "string" then id = count == 1 and label or (label .. "-" .. count) end
      return pandoc.Figure(pandoc.Plain(image), this_caption and { pandoc.Plain(this_caption) } or {}, id)
    end,
  })
end

local function caption_table(blocks, options)
  local caption, label = options["tbl-cap"], plain(options.label)
  local is_table = caption ~= nil or (type(label) == "string" and label:match("^tbl%-"))
  if not is_table then return blocks, false end
  local done = false
  return blocks:walk({
    Table = function(tbl)
      if done then return nil end
      done = true
      if caption then tbl.caption.long = { pandoc.Plain(inlines_of(caption)) } end
      if type(label) == "string" then tbl.identifier = label end
      return tbl
    end,
  }), true
end

local function code_cell(cell, options, code)
  local blocks = pandoc.Blocks({})
  if plain(options.include) == false then return blocks end
  if plain(options.echo) == true and code ~= "" then
    blocks:insert(pandoc.CodeBlock(code, { class = "python" }))
  end
  if plain(options.output) ~= false then
    local pending = {}
    local function flush()
      if #pending > 0 then blocks:extend(read_markdown(table.concat(pending, "\n\n"))) end
      pending = {}
    end
    for _, block in ipairs(cell.content) do
      if block.t == "Div" and block.classes:includes("output") then
        local chosen = choose(block, options)
        if type(chosen) == "string" then
          pending[#pending + 1] = chosen
        else
          flush()
          blocks:extend(chosen)
        end
      end
    end
    flush()
  end
  blocks = make_figures(blocks, options)
  local labelled
  blocks, labelled = caption_table(blocks, options)
  local label = plain(options.label)
  local is_figure = type(label) == "string" and label:match("^fig%-")
  if type(label) == "string" and not labelled and not is_figure and #blocks > 0 then
    -- typst: a wrapping block would keep a heading before it from breaking with the content it introduces
    if TYPST then return blocks end
    return pandoc.Blocks({ pandoc.Div(blocks, { id = label }) })
  end
  return blocks
end

local function with_defaults(options)
  for key, value in pairs(defaults) do
    if options[key] == nil then options[key] = value end
  end
  return options
end

local function is_front_matter(cell)
  local first = cell.content[1]
  return first and first.t == "RawBlock" and first.text:match("^%s*%-%-%-") ~= nil
end

local function cells(doc)
  local execute = doc.meta.execute
  if execute and pandoc.utils.type(execute) == "table" then
    for key, value in pairs(execute) do defaults[key] = plain(value) end
  end
  local out, seen_front_matter = pandoc.Blocks({}), false
  for _, cell in ipairs(doc.blocks) do
    if cell.t ~= "Div" or not cell.classes:includes("cell") then
      out:insert(cell)
    else
      local tags = decode_tags(cell.attributes)
      local hidden = false
      for tag in pairs(tags) do hidden = hidden or HIDDEN_TAGS[tag] or false end
      if hidden then
        -- parameters, injected parameters, papermill's error banner: never part of the report
      elseif cell.classes:includes("markdown") then
        out:extend(cell.content)
      elseif cell.classes:includes("raw") then
        if not seen_front_matter and is_front_matter(cell) then
          seen_front_matter = true
        else
          for _, block in ipairs(cell.content) do
            if block.t == "RawBlock" and block.format ~= "ipynb" then out:insert(block) end
          end
        end
      elseif cell.classes:includes("code") then
        local source = cell.content[1]
        local options, code = {}, ""
        if source and source.t == "CodeBlock" then options, code = cell_options(source.text) end
        if tags["hide-input"] then options.echo = options.echo or false end
        if tags["hide-output"] then options.output = false end
        local blocks = code_cell(cell, with_defaults(options), code)
        if plain(options.label) == "report-title" then
          local paras = {}
          pandoc.Blocks(blocks):walk({
            Para = function(para) paras[#paras + 1] = para.content end,
            Plain = function(para) paras[#paras + 1] = para.content end,
          })
          if paras[1] then doc.meta.title = pandoc.MetaInlines(paras[1]); doc.meta.pagetitle = nil end
          if paras[2] then doc.meta.subtitle = pandoc.MetaInlines(paras[2]) end
        else
          out:extend(blocks)
        end
      end
    end
  end
  doc.blocks = out
  return doc
end

-- Cross-references: number captioned figures and tables as the typst template does, caption them
-- "Figure n:" in HTML, and turn @fig-x / @tbl-x / @sec-x citations into links (typst: native references).
local function crossrefs(doc)
  local targets, counts = {}, { fig = 0, tbl = 0 }
  local function number(kind, id, caption)
    if not caption or #caption == 0 or #pandoc.utils.stringify(caption) == 0 then return end
    counts[kind] = counts[kind] + 1
    local name = kind == "fig" and "Figure" or "Table"
    if id ~= "" then targets[id] = name .. " " .. counts[kind] end
    if HTML and caption[1].content then
      caption[1].content:insert(1, pandoc.Str(name .. " " .. counts[kind] .. ": "))
    end
  end
  doc.blocks = doc.blocks:walk({
    traverse = "topdown",
    Figure = function(fig)
      number("fig", fig.identifier, fig.caption.long)
      return fig
    end,
    Table = function(tbl)
      number("tbl", tbl.identifier, tbl.caption.long)
      return tbl
    end,
    Header = function(header)
      if header.identifier ~= "" then targets[header.identifier] = stringify(header.content) end
      return header
    end,
  })
  doc.blocks = doc.blocks:walk({
    Cite = function(cite)
      local id = cite.citations[1].id
      local target = targets[id]
      if #cite.citations ~= 1 or not target then return pandoc.Str(stringify(cite.content)) end
      if TYPST and not id:match("^sec%-") then return pandoc.RawInline("typst", "@" .. id) end
      return pandoc.Link(target, "#" .. id)
    end,
  })
  return doc
end

-- typst styles a table's first row as its header; a table without a header gets plain rows instead.
local HEADERLESS = "#[\n#set table(fill: (x, y) => if calc.odd(y) { zebra }, "
  .. "stroke: (x, y) => (bottom: 0.4pt + rule-colour))\n#show table.cell.where(y: 0): set text(weight: \"regular\")\n"
local function headerless(tbl)
  if not TYPST or #tbl.head.rows > 0 then return nil end
  return { pandoc.RawBlock("typst", HEADERLESS), tbl, pandoc.RawBlock("typst", "]") }
end

-- A typst string literal.
local function typst_string(text)
  return '"' .. text:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\n", " ") .. '"'
end

local function typst_of(inlines)
  local written = pandoc.write(pandoc.Pandoc({ pandoc.Plain(inlines) }), "typst")
  return (written:gsub("%s+$", ""))
end

local figure_count = 0

-- typst: a figure of one image, written with the image's alternative text (pandoc's writer drops it).
local function typst_figure(fig)
  if not TYPST or #fig.content ~= 1 then return nil end
  local image = image_of(fig.content[1])
  if not image then return nil end
  local alt = image.attributes.alt or stringify(image.caption)
  local width = image.attributes.width or "100%"
  if not width:match("^[%d.]+%%$") and not width:match("^[%d.]+(pt|mm|cm|in|em)$") then width = "100%" end
  local caption = fig.caption.long and #fig.caption.long > 0 and pandoc.utils.blocks_to_inlines(fig.caption.long)
  -- pandoc's --extract-media only sees Image elements: copy the file into the typst root ourselves
  local ok, _, contents = pcall(pandoc.mediabag.fetch, image.src)
  if not ok or not contents then return nil end
  figure_count = figure_count + 1
  local extension = image.src:match("%.(%w+)$") or "svg"
  local name = "figure-" .. figure_count .. "." .. extension
  local file = io.open(name, "wb")
  if not file then return nil end
  file:write(contents)
  file:close()
  local parts = { "#figure(image(" .. typst_string(name) .. ", width: " .. width .. ", alt: "
    .. typst_string(alt) .. ")" }
  if caption then parts[#parts + 1] = ", caption: [" .. typst_of(caption) .. "]" end
  parts[#parts + 1] = ")"
  if fig.identifier:match("^[%w_.:-]+$") then parts[#parts + 1] = " <" .. fig.identifier .. ">" end
  return pandoc.RawBlock("typst", table.concat(parts))
end

local KEEP_WHOLE_ROWS = 4  -- a captioned table this short is never split across pages
local STATUS_COLOURS = {
  ["status-overdue"] = "rgb(\"#b3261e\")", ["status-soon"] = "rgb(\"#8a5a00\")",
  ["status-ok"] = "rgb(\"#1e6b3a\")", ["status-none"] = "rgb(\"#5b6472\")",
}

local function rows_of(tbl)
  local n = 0
  for _, body in ipairs(tbl.bodies) do n = n + #body.body end
  return n
end

local function place_table(tbl)
  if HTML then
    local label = stringify(tbl.caption.long or {})
    local attrs = { tabindex = "0", role = "region", ["aria-label"] = label ~= "" and label or "Table" }
    return pandoc.Div({ tbl }, pandoc.Attr("", { "table-scroll" }, attrs))
  end
  if TYPST and #stringify(tbl.caption.long or {}) > 0 and rows_of(tbl) <= KEEP_WHOLE_ROWS then
    return { pandoc.RawBlock("typst", "#block(breakable: false)["), tbl, pandoc.RawBlock("typst", "]") }
  end
end

local function status_span(span)
  if not TYPST then return nil end
  for _, class in ipairs(span.classes) do
    if STATUS_COLOURS[class] then
      return { pandoc.RawInline("typst", "#text(fill: " .. STATUS_COLOURS[class] .. ", weight: \"bold\")["),
        span, pandoc.RawInline("typst", "]") }
    end
  end
end

-- Two figures side by side (a `.chart-pair` div): a two-column grid in typst; CSS lays them out in HTML.
local function chart_pair(div)
  if not TYPST or not div.classes:includes("chart-pair") then return nil end
  local cells = {}
  for _, block in ipairs(div.content) do
    if block.t == "RawBlock" and block.format == "typst" then cells[#cells + 1] = "[" .. block.text .. "]" end
  end
  if #cells == 0 then return nil end
  while #cells < 2 do cells[#cells + 1] = "[]" end
  return pandoc.RawBlock("typst", "#grid(columns: (1fr, 1fr), column-gutter: 1.2em, align: top,\n"
    .. table.concat(cells, ",\n") .. ")")
end

-- A chart drawn twice (`phone="figures/x-phone.svg"` on its image): HTML carries both images, CSS shows the
-- narrow, taller one at phone width so its text stays legible; other formats keep only the wide one.
local function phone_variant(fig)
  if #fig.content ~= 1 then return nil end
  local image = image_of(fig.content[1])
  if not image or not image.attributes.phone then return nil end
  local phone = image.attributes.phone
  image.attributes.phone = nil
  if not HTML then return fig end
  image.classes:insert("chart-wide")
  local narrow = pandoc.Image(image.caption, phone, image.title,
    pandoc.Attr("", { "chart-phone" }, { alt = image.attributes.alt }))
  fig.content = { pandoc.Plain({ image, narrow }) }
  return fig
end

-- A raw typst page break written by the notebook stays out of HTML.
local function page_break(raw)
  if raw.format == "typst" and not TYPST then return {} end
end

return {
  { Pandoc = cells },
  { Pandoc = crossrefs },
  { Figure = phone_variant },
  { Table = headerless },
  { Figure = typst_figure, Span = status_span, RawBlock = page_break },
  { Table = place_table, Div = chart_pair },
}
