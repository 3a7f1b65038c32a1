import Foundation

extension AttentionExport {
    /// A self-contained HTML page (inline CSS and script, no network): one heatmap table per kind,
    /// layer and head (and the mean over heads), selectors for kind, layer and head, values on
    /// hover and optionally in the cells. Without script the initially selected view still shows.
    ///
    /// Every weight is in its cell's `data-w` and `title` attributes with four decimals
    /// (`AttentionExport.fixed`). The `</s>` row is marked as the step that ended the sentence;
    /// masked decoder self-attention cells (later inputs) are hatched.
    ///
    /// - Parameter initial: the view shown first (kind defaults to cross-attention, layer to the
    ///   last, head to the mean).
    public static func html(_ inspection: AttentionInspection, initial: AttentionSelection = AttentionSelection()) throws -> String {
        let kinds = inspection.availableKinds
        guard !kinds.isEmpty else { throw InspectionError.unavailable(.cross, model: inspection.modelName) }
        let initialKind = initial.kind ?? kinds[0]
        try inspection.validate(initialKind, layer: initial.layer, head: initial.head)
        let shown = try inspection.view(initialKind, layer: initial.layer, head: initial.head ?? .mean)

        var page = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Attention: \(escape(inspection.source))</title>
        <style>
        \(css)
        </style>
        </head>
        <body data-kind="\(shown.kind.rawValue)" data-layer="\(shown.layer)" data-head="\(headName(shown.head))">
        <h1>Attention</h1>
        <table class="pair">
        <tr><th>Source</th><td>\(escape(inspection.source))</td></tr>
        <tr><th>Translation</th><td>\(escape(inspection.translation))</td></tr>
        <tr><th>Source pieces</th><td>\(inspection.sourcePieces.map { "<span class=\"piece\">\(escape($0))</span>" }.joined(separator: " "))</td></tr>
        <tr><th>Target pieces</th><td>\(inspection.targetPieces.map { "<span class=\"piece\">\(escape($0))</span>" }.joined(separator: " "))\(inspection.isFinished ? " <span class=\"piece eos\">&lt;/s&gt;</span>" : " <em>(cut at the length limit: no &lt;/s&gt;)</em>")</td></tr>
        </table>
        <form class="controls" id="controls">
        <label>Attention <select id="kind">\(kinds.map { "<option value=\"\($0.rawValue)\"\($0 == shown.kind ? " selected" : "")>\(escape($0.title))</option>" }.joined())</select></label>
        <label>Layer <select id="layer">\(options(count: inspection.layers(of: shown.kind).count, selected: String(shown.layer), mean: false))</select></label>
        <label>Head <select id="head">\(options(count: inspection.heads(of: shown.kind), selected: headName(shown.head), mean: true))</select></label>
        <label><input type="checkbox" id="values"> show values</label>
        </form>
        <p id="hover" class="hover">Point at a cell to read its weight.</p>

        """
        for kind in kinds {
            for view in try inspection.allViews(kind) {
                page += table(view, hidden: view != shown)
            }
        }
        page += """
        <p class="notes">Rows are queries, columns are keys; each row sums to 1. Decoder rows are the steps that \
        predicted each target piece; the last row, &lt;/s&gt;, is the step that ended the sentence. Decoder \
        self-attention columns are the decoder inputs (&lt;s&gt; then the target pieces); hatched cells are later \
        inputs the step could not see. Sources carry no padding. Layers and heads count from 0.</p>
        <script>
        \(script)
        </script>
        </body>
        </html>

        """
        return page
    }

    private static func headName(_ head: AttentionHead) -> String {
        if case .index(let h) = head { String(h) } else { "mean" }
    }

    private static func options(count: Int, selected: String, mean: Bool) -> String {
        var values = (0..<count).map(String.init)
        if mean { values.append("mean") }
        return values.map { "<option value=\"\($0)\"\($0 == selected ? " selected" : "")>\($0)</option>" }.joined()
    }

    private static func table(_ view: AttentionView, hidden: Bool) -> String {
        var out = "<section class=\"view\" id=\"\(viewID(view))\" data-kind=\"\(view.kind.rawValue)\" data-layer=\"\(view.layer)\""
            + " data-head=\"\(headName(view.head))\"\(hidden ? " hidden" : "")>\n"
        out += "<h2>\(escape(view.title))</h2>\n"
        guard view.rows > 0, view.columns > 0 else {
            return out + "<p>(\(view.columns == 0 ? "no source pieces" : "no decoder steps"): nothing to show)</p>\n</section>\n"
        }
        out += "<table class=\"heatmap\">\n<thead><tr><th class=\"corner\"></th>"
        for (c, label) in view.columnLabels.enumerated() {
            out += "<th class=\"col\" data-c=\"\(c)\"><span>\(escape(label))</span></th>"
        }
        out += "</tr></thead>\n<tbody>\n"
        let endRow = view.kind != .encoderSelf && view.rowLabels.last == AttentionInspection.endOfSentence ? view.rows - 1 : nil
        for r in 0..<view.rows {
            let rowLabel = view.rowLabels[r]
            let eos = r == endRow
            out += "<tr><th class=\"row\(eos ? " eos" : "")\" data-r=\"\(r)\"\(eos ? " title=\"the step that ended the sentence\"" : "")>\(escape(rowLabel))</th>"
            for c in 0..<view.columns {
                let weight = view[r, c]
                if view.isMasked(row: r, column: c) {
                    out += "<td class=\"masked\" data-r=\"\(r)\" data-c=\"\(c)\" data-w=\"\(fixed(weight))\" title=\"masked: later input\"></td>"
                    continue
                }
                let value = fixed(weight)
                out += "<td data-r=\"\(r)\" data-c=\"\(c)\" data-w=\"\(value)\" style=\"background:\(hexColor(weight));color:\(textColor(weight))\""
                    + " title=\"\(escape(rowLabel)) → \(escape(view.columnLabels[c])): \(value)\"><span>\(Heatmap.formatWeight(weight))</span></td>"
            }
            out += "</tr>\n"
        }
        return out + "</tbody>\n</table>\n</section>\n"
    }

    private static let css = """
    body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; background: #fff; }
    h1 { font-size: 1.4em; margin: 0 0 .5em; }
    h2 { font-size: 1.05em; margin: 1em 0 .4em; font-weight: 600; }
    table.pair th { text-align: left; padding-right: 1em; font-weight: 600; vertical-align: top; }
    .piece { font-family: ui-monospace, monospace; background: #f1f1f4; border-radius: 3px; padding: 0 .25em; }
    .eos { font-style: italic; color: #7a3e9d; }
    .controls { margin: 1em 0; display: flex; gap: 1.2em; flex-wrap: wrap; align-items: center; }
    .hover { font-family: ui-monospace, monospace; min-height: 1.3em; color: #444; }
    table.heatmap { border-collapse: collapse; font-family: ui-monospace, monospace; font-size: 12px; }
    table.heatmap td { width: 2.6em; height: 1.9em; text-align: center; padding: 0; border: 1px solid #fff; }
    table.heatmap td span { visibility: hidden; }
    body.values table.heatmap td span { visibility: visible; }
    table.heatmap th.row { text-align: right; padding-right: .5em; font-weight: normal; white-space: nowrap; }
    table.heatmap th.col { vertical-align: bottom; font-weight: normal; height: 6em; }
    table.heatmap th.col span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; }
    table.heatmap td.masked { background: repeating-linear-gradient(45deg, #eee, #eee 3px, #fff 3px, #fff 6px); }
    table.heatmap td.active { outline: 2px solid #e4572e; }
    table.heatmap th.active { color: #e4572e; font-weight: 700; }
    .notes { color: #555; max-width: 46em; font-size: .9em; margin-top: 2em; }
    """

    /// The page's script: fills the layer and head menus for the chosen kind, shows one view, reports hovered
    /// cells. (It contains no closing-tag sequence, so the page's markup stays well formed.)
    private static let script = """
    (function () {
      var body = document.body;
      var views = Array.prototype.slice.call(document.querySelectorAll('section.view'));
      var kind = document.getElementById('kind'), layer = document.getElementById('layer'), head = document.getElementById('head');
      var hover = document.getElementById('hover');
      function fill(menu, values, keep) {
        var old = keep ? menu.value : null;
        while (menu.firstChild) { menu.removeChild(menu.firstChild); }
        values.forEach(function (v) {
          var o = document.createElement('option'); o.value = v; o.textContent = v; menu.appendChild(o);
        });
        if (old !== null && values.indexOf(old) >= 0) { menu.value = old; } else { menu.value = values[values.length - 1]; }
      }
      function unique(list) { return list.filter(function (v, i) { return list.indexOf(v) === i; }); }
      function refreshMenus() {
        var ofKind = views.filter(function (v) { return v.dataset.kind === kind.value; });
        fill(layer, unique(ofKind.map(function (v) { return v.dataset.layer; })), true);
        var heads = unique(ofKind.map(function (v) { return v.dataset.head; }));
        fill(head, heads, true);
      }
      function show() {
        views.forEach(function (v) {
          v.hidden = !(v.dataset.kind === kind.value && v.dataset.layer === layer.value && v.dataset.head === head.value);
        });
      }
      kind.addEventListener('change', function () { refreshMenus(); show(); });
      layer.addEventListener('change', show);
      head.addEventListener('change', show);
      document.getElementById('values').addEventListener('change', function (e) {
        body.classList.toggle('values', e.target.checked);
      });
      function mark(table, r, c, on) {
        table.querySelectorAll('th.row[data-r="' + r + '"], th.col[data-c="' + c + '"]').forEach(function (th) {
          th.classList.toggle('active', on);
        });
      }
      views.forEach(function (section) {
        var table = section.querySelector('table.heatmap');
        if (!table) { return; }
        table.addEventListener('mouseover', function (e) {
          var td = e.target.closest('td');
          if (!td) { return; }
          td.classList.add('active');
          mark(table, td.dataset.r, td.dataset.c, true);
          var row = table.querySelector('th.row[data-r="' + td.dataset.r + '"]').textContent;
          var col = table.querySelector('th.col[data-c="' + td.dataset.c + '"]').textContent;
          hover.textContent = td.classList.contains('masked')
            ? row + ' \\u2192 ' + col + ': masked (a later input)'
            : row + ' \\u2192 ' + col + ': ' + td.dataset.w;
        });
        table.addEventListener('mouseout', function (e) {
          var td = e.target.closest('td');
          if (!td) { return; }
          td.classList.remove('active');
          mark(table, td.dataset.r, td.dataset.c, false);
        });
      });
      refreshMenus();
      kind.value = body.dataset.kind; refreshMenus();
      layer.value = body.dataset.layer; head.value = body.dataset.head;
      show();
    })();
    """
}
