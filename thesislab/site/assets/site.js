/* thesislab results site: draws the charts, offers their downloads, runs the results table.
 *
 * Specs come from HTML-escaped data-spec attributes; data from data-datasets attributes and
 * data files holding gzip-compressed, base64-encoded JSON tables ({columns, data}). Everything
 * from result files is written into the page with textContent or handed to Vega as data, never
 * as markup. Runs on Material's document$ (instant navigation) and on DOMContentLoaded (file://).
 *
 * Data that grows with the results comes in data files (thesislab.site.data_files): scripts
 * that `loadData` loads (script files load from disk, where fetch is refused); the tables of all
 * results and of the models index name theirs in data-chunks, in their data-data folder. Pages
 * with a script of their own (data-page-script) get it loaded from beside this one; it receives
 * the helpers shared here (window.thesislab).
 */
(function () {
  "use strict";

  // Where this script lies: the page scripts and data files lie beside it.
  const ASSETS = new URL(".", document.currentScript.src).href;

  // Material's search needs a web worker, which a page opened from disk cannot start: the
  // stylesheet hides the search box there.
  if (location.protocol === "file:") document.documentElement.classList.add("tl-from-disk");

  const views = (window.thesislabViews = window.thesislabViews || {});
  const exportsLoaded = (window.thesislabExports = window.thesislabExports || {});

  async function decode(text) {
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return JSON.parse(await new Response(stream).text());
  }

  /* {columns: [names], data: [[values]]} to [{name: value}] */
  function toRows(table) {
    return table.data.map((values) => {
      const row = {};
      table.columns.forEach((name, i) => (row[name] = values[i]));
      return row;
    });
  }

  async function datasetsOf(element) {
    const tables = await decode(element.dataset.datasets);
    const datasets = {};
    for (const [name, table] of Object.entries(tables)) datasets[name] = toRows(table);
    return datasets;
  }

  async function drawChart(element) {
    element.dataset.rendered = "1";
    const spec = JSON.parse(element.dataset.spec);
    spec.datasets = Object.assign(spec.datasets || {}, await datasetsOf(element));
    // Points link to their model pages by paths from the site's root (data-root from here).
    const loader = { baseURL: element.dataset.root || "." };
    const result = await vegaEmbed(element, spec, { actions: false, renderer: "svg", loader });
    views[element.dataset.chartId] = result.view;
  }

  /* The print spec with its data, selectors set as they are on screen now. */
  async function printSpec(element) {
    const spec = JSON.parse(element.dataset.printSpec);
    spec.datasets = Object.assign(spec.datasets || {}, await datasetsOf(element));
    const view = views[element.dataset.chartId];
    for (const param of spec.params || []) {
      if (view && "value" in param) param.value = view.signal(param.name);
    }
    return spec;
  }

  function save(blob, filename) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = filename;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  const scriptsLoaded = {};

  /* Load the script at `src` once (a second call waits for the first). */
  function loadScript(src) {
    scriptsLoaded[src] =
      scriptsLoaded[src] ||
      new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = src;
        script.onload = resolve;
        script.onerror = () => {
          delete scriptsLoaded[src];
          reject(new Error("could not load " + script.src));
        };
        document.head.append(script);
      });
    return scriptsLoaded[src];
  }

  /* The payload of the data file `key` at `src`, decoded (thesislab.site.data_files). */
  async function loadData(key, src) {
    const registry = (window.thesislabData = window.thesislabData || {});
    if (!(key in registry)) await loadScript(src);
    return decode(registry[key]);
  }

  /* Hand `received` the rows of each data file `container` names, in their order, as each
   * arrives (the files load side by side). */
  async function loadChunks(container, received) {
    const keys = container.dataset.chunks.split(" ").filter(Boolean);
    const loads = keys.map((key) => loadData(key, container.dataset.data + "/" + key + ".js"));
    for (const load of loads) received(toRows(await load));
  }

  async function loadExports(element) {
    const id = element.dataset.chartId;
    if (!exportsLoaded[id]) await loadScript(element.dataset.exports);
    return exportsLoaded[id];
  }

  const PNG_PPI = 300; // as thesislab.site.exports.PNG_PPI

  function crc32(bytes) {
    let crc = -1;
    for (const byte of bytes) {
      crc ^= byte;
      for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
    }
    return (crc ^ -1) >>> 0;
  }

  /* The PNG saying that it has `ppi` pixels per inch: a pHYs chunk (pixels per metre) right
   * after its header, in place of any it had, so that a document shows it at its size. */
  async function withResolution(blob, ppi) {
    const bytes = new Uint8Array(await blob.arrayBuffer());
    const chunks = [];
    for (let at = 8; at < bytes.length; ) {
      const end = at + 12 + new DataView(bytes.buffer, at, 4).getUint32(0);
      const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
      if (type !== "pHYs") chunks.push(bytes.subarray(at, end));
      at = end;
    }
    const resolution = new Uint8Array(21);
    const fields = new DataView(resolution.buffer);
    const perMetre = Math.round(ppi / 0.0254);
    fields.setUint32(0, 9);
    resolution.set([0x70, 0x48, 0x59, 0x73], 4); // "pHYs"
    fields.setUint32(8, perMetre);
    fields.setUint32(12, perMetre);
    resolution[16] = 1; // the unit: the metre
    fields.setUint32(17, crc32(resolution.subarray(4, 17)));
    const parts = [bytes.subarray(0, 8), chunks[0], resolution, ...chunks.slice(1)];
    return new Blob(parts, { type: "image/png" });
  }

  async function download(element, format) {
    const id = element.dataset.chartId;
    if (format === "pdf" || format === "csv") {
      const files = await loadExports(element);
      if (format === "pdf") {
        const bytes = Uint8Array.from(atob(files.pdf), (c) => c.charCodeAt(0));
        save(new Blob([bytes], { type: "application/pdf" }), id + ".pdf");
      } else {
        save(new Blob([files.csv], { type: "text/csv" }), id + ".csv");
      }
      return;
    }
    const spec = await printSpec(element);
    if (format === "json") {
      save(new Blob([JSON.stringify(spec, null, 2)], { type: "application/json" }), id + ".vl.json");
      return;
    }
    // A second, offscreen view of the print spec (only vegaEmbed is global in the bundle).
    const printed = await vegaEmbed(document.createElement("div"), spec, {
      actions: false,
      renderer: "none",
    });
    try {
      if (format === "svg") {
        save(new Blob([await printed.view.toSVG()], { type: "image/svg+xml" }), id + ".svg");
      } else {
        const canvas = await printed.view.toCanvas(PNG_PPI / 72);
        const png = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
        save(await withResolution(png, PNG_PPI), id + ".png");
      }
    } finally {
      printed.finalize();
    }
  }

  /* ---- the all-results table ---- */

  const PAGE_SIZE = 100;
  /* The formats of thesislab.results.columns, written as its `display` writes them. */
  // One formatter per number of digits: making one per value (toLocaleString) is most of the
  // time it takes to load a table of many thousand rows.
  const formatters = {};
  const fixed = (v, digits) =>
    (formatters[digits] ||= new Intl.NumberFormat("en-US", {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    })).format(v);
  const FORMATS = {
    text: (v) => String(v),
    list: (v) => (Array.isArray(v) ? v.join(", ") : String(v)),
    flag: (v) => (v ? "yes" : "no"),
    percent: (v) => (v * 100).toFixed(2) + " %",
    spread: (v) => "± " + (v * 100).toFixed(2) + " %",
    points: (v) => (v >= 0 ? "+" : "") + (v * 100).toFixed(2) + " pts",
    ms: (v) => fixed(v, 2) + " ms",
    count: (v) => fixed(v, 0),
    bytes: (v) => fixed(v, 0) + " B",
    s: (v) => fixed(v, 1) + " s",
  };
  const NUMERIC = new Set(["percent", "spread", "points", "ms", "count", "bytes", "s"]);

  // A name as text nodes with a line-break opportunity after each "_" (names are long and
  // have no spaces): it wraps between its parts, never inside one.
  function breakable(text) {
    const parts = [];
    for (const piece of text.split(/(?<=_)/)) {
      if (parts.length) parts.push(document.createElement("wbr"));
      parts.push(document.createTextNode(piece));
    }
    return parts;
  }

  function cellText(column, value) {
    if (value === null || value === undefined) return "–";
    return FORMATS[column.format](value);
  }

  function compare(a, b) {
    if (a === b) return 0;
    if (a === null || a === undefined) return 1;
    if (b === null || b === undefined) return -1;
    return typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b));
  }

  const MOST_PICKED = 4; // as thesislab.site.compare.MOST

  /* The rows' configurations ticked for the comparison page (a box before each name), and the
   * link to it once two are. */
  function picker(container) {
    const picked = [];
    const hint = container.querySelector(".tl-picked").textContent;
    const link = container.querySelector(".tl-compare-link");

    function show() {
      container.querySelector(".tl-picked").textContent = picked.length
        ? picked.map((pick) => pick.name).join(", ")
        : hint;
      link.hidden = picked.length < 2;
      const ids = picked.map((pick) => encodeURIComponent(pick.id));
      link.href = container.dataset.compare + "#ids=" + ids.join(",");
      for (const box of container.querySelectorAll(".tl-pick")) {
        box.checked = picked.some((pick) => pick.id === box.dataset.config);
      }
    }

    container.addEventListener("change", (event) => {
      const box = event.target.closest(".tl-pick");
      if (!box) return;
      const at = picked.findIndex((pick) => pick.id === box.dataset.config);
      if (at >= 0) picked.splice(at, 1);
      else if (picked.length < MOST_PICKED) {
        picked.push({ id: box.dataset.config, name: box.dataset.name });
      }
      show();
    });
    return (id, name) => {
      const box = document.createElement("input");
      box.type = "checkbox";
      box.className = "tl-pick";
      box.dataset.config = id;
      box.dataset.name = name;
      box.checked = picked.some((pick) => pick.id === id);
      box.setAttribute("aria-label", "compare " + name);
      return box;
    };
  }

  async function setUpTable(container) {
    container.dataset.rendered = "1";
    const columns = JSON.parse(container.dataset.columns);
    const total = Number(container.dataset.rows);
    const rows = [];
    const texts = [];
    const state = { sort: null, descending: false, page: 0, shown: [] };
    const pickBox = container.dataset.compare ? picker(container) : null;
    const head = container.querySelector("thead");
    const body = container.querySelector("tbody");
    const filter = container.querySelector(".tl-filter");
    const count = container.querySelector(".tl-count");
    const pageLabel = container.querySelector(".tl-page");

    const headRow = document.createElement("tr");
    for (const column of columns) {
      const th = document.createElement("th");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = column.title;
      button.title = column.name;
      button.addEventListener("click", () => {
        state.descending = state.sort === column.name ? !state.descending : false;
        state.sort = column.name;
        update(false);
      });
      th.append(button);
      th.dataset.column = column.name;
      if (NUMERIC.has(column.format)) th.className = "tl-number";
      headRow.append(th);
    }
    head.append(headRow);

    function update(resetPage) {
      const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = rows.map((_, i) => i).filter((i) => words.every((w) => texts[i].includes(w)));
      if (state.sort) {
        const sign = state.descending ? -1 : 1;
        shown.sort((i, j) => sign * compare(rows[i][state.sort], rows[j][state.sort]) || i - j);
      }
      state.shown = shown;
      if (resetPage) state.page = 0;
      const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
      state.page = Math.min(state.page, pages - 1);
      body.replaceChildren();
      for (const i of shown.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE)) {
        const tr = document.createElement("tr");
        for (const column of columns) {
          const td = document.createElement("td");
          const text = cellText(column, rows[i][column.name]);
          if (column.name === "name" && rows[i].model_page) {
            const link = document.createElement("a");  // to the row's model page
            link.href = container.dataset.root + "/" + rows[i].model_page;
            link.append(...breakable(text));
            if (pickBox) td.append(pickBox(rows[i].config_id, text));
            td.append(link);
          } else {
            td.textContent = text;
          }
          if (NUMERIC.has(column.format)) td.className = "tl-number";
          tr.append(td);
        }
        body.append(tr);
      }
      for (const th of head.querySelectorAll("th")) {
        th.setAttribute(
          "aria-sort",
          th.dataset.column === state.sort ? (state.descending ? "descending" : "ascending") : "none"
        );
      }
      count.textContent =
        rows.length < total
          ? "loading: " + rows.length + " of " + total + " results so far"
          : shown.length + " of " + rows.length + " results";
      pageLabel.textContent = "page " + (state.page + 1) + " of " + pages;
    }

    filter.addEventListener("input", () => update(true));
    container.querySelector(".tl-previous").addEventListener("click", () => {
      state.page = Math.max(0, state.page - 1);
      update(false);
    });
    container.querySelector(".tl-next").addEventListener("click", () => {
      state.page += 1;
      update(false);
    });
    update(true);
    await loadChunks(container, (chunk) => {
      for (const row of chunk) {
        rows.push(row);
        texts.push(columns.map((c) => cellText(c, row[c.name])).join(" ").toLowerCase());
      }
      update(false);
    });
  }

  /* ---- the models index: each family's list of model pages ---- */

  async function setUpModels(container) {
    container.dataset.rendered = "1";
    const lists = {};
    for (const list of container.querySelectorAll(".tl-model-list")) {
      lists[list.dataset.family] = list;
    }
    await loadChunks(container, (chunk) => {
      const added = {};
      for (const entry of chunk) {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = entry.page;
        link.append(...breakable(entry.name));
        item.append(link);
        if (entry.detail) {
          const detail = document.createElement("small");
          detail.textContent = entry.detail;
          item.append(" ", detail);
        }
        (added[entry.family] ||= document.createDocumentFragment()).append(item);
      }
      for (const [family, items] of Object.entries(added)) lists[family].append(items);
    });
  }

  function report(element, error) {
    console.error("thesislab:", error);
    const message = document.createElement("p");
    message.className = "tl-empty";
    message.textContent = "This chart could not be drawn: " + error.message;
    element.replaceChildren(message);
  }

  /* Run the page script a container asks for (data-page-script), loaded first if need be. */
  async function runPageScript(container) {
    container.dataset.rendered = "1";
    const name = container.dataset.pageScript;
    const scripts = (window.thesislabPageScripts = window.thesislabPageScripts || {});
    if (!scripts[name]) await loadScript(ASSETS + name + ".js");
    await scripts[name](container);
  }

  window.thesislab = {
    decode,
    loadData,
    save,
    withResolution,
    PNG_PPI,
    display: (format, value) => cellText({ format }, value),
  };

  function init() {
    for (const [id, view] of Object.entries(views)) {
      if (!document.getElementById("chart-" + id)) {
        view.finalize();
        delete views[id];
      }
    }
    for (const element of document.querySelectorAll(".tl-chart:not([data-rendered])")) {
      drawChart(element).catch((error) => report(element, error));
    }
    for (const container of document.querySelectorAll(".tl-results:not([data-rendered])")) {
      setUpTable(container).catch((error) => report(container, error));
    }
    for (const container of document.querySelectorAll(".tl-models:not([data-rendered])")) {
      setUpModels(container).catch((error) => report(container, error));
    }
    for (const container of document.querySelectorAll("[data-page-script]:not([data-rendered])")) {
      runPageScript(container).catch((error) => report(container, error));
    }
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".tl-download");
    if (!button) return;
    const element = button.closest("figure").querySelector(".tl-chart");
    download(element, button.dataset.format).catch((error) => console.error("thesislab:", error));
  });

  if (window.document$) window.document$.subscribe(init);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
