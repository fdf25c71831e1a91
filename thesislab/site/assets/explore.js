/* thesislab explore page: the results drawn on the axes, scales and colour a reader picks,
 * filtered as they choose, with the Pareto front of the points shown; downloads of the view;
 * configurations picked for the comparison page.
 *
 * The view lives in the address's hash, e.g. #x=macs&y=error&colour=family&quantization=int8&
 * device=local&logx=1&compare=ID1,ID2: read at start and whenever the hash changes, written
 * (history.replaceState) on every change. Keys left out take a figure spec's defaults (no
 * filter, every device, linear axes); a page opened without a hash starts as the site's charts
 * do. What is drawn follows a figure spec's rules (see thesislab.site.explore), and the figure
 * spec download writes the view as one.
 *
 * Loaded by the site script (site.js) on the explore page, whose helpers it uses
 * (window.thesislab); the rows come from data files, columns with text coded by dictionaries.
 */
(function () {
  "use strict";

  const tl = window.thesislab;
  const MAX_PICKS = 4;
  const FRONT_ROWS = 50;

  /* ---- the rows: every data file's columns joined ---- */

  /* Text columns as {values, codes} (codes into one dictionary), numbers as Float64Array
   * (NaN where missing). */
  function joined(chunks) {
    const total = chunks.reduce((sum, chunk) => sum + chunk.rows, 0);
    const columns = {};
    for (const [name, sample] of Object.entries(chunks[0].columns)) {
      let at = 0;
      if (Array.isArray(sample)) {
        const numbers = new Float64Array(total);
        for (const chunk of chunks) {
          for (const value of chunk.columns[name]) numbers[at++] = value === null ? NaN : value;
        }
        columns[name] = numbers;
        continue;
      }
      const values = [];
      const index = new Map();
      const codes = new Int32Array(total);
      for (const chunk of chunks) {
        const own = chunk.columns[name];
        const global = own.values.map((value) => {
          if (!index.has(value)) index.set(value, values.push(value) - 1);
          return index.get(value);
        });
        for (const code of own.codes) codes[at++] = global[code];
      }
      columns[name] = { values, codes, index };
    }
    return { rows: total, columns };
  }

  /* ---- the view and the address ---- */

  function encodeList(values) {
    return values.map(encodeURIComponent).join(",");
  }

  /* A list written by `encodeList`; a value not encoded so (typed by hand) as it is. */
  function decodeList(text) {
    const decoded = (value) => {
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    };
    return text === "" ? [] : text.split(",").map(decoded);
  }

  function toHash(state, options) {
    const parts = ["x=" + state.x, "y=" + state.y, "colour=" + state.colour];
    if (state.log_x) parts.push("logx=1");
    if (state.log_y) parts.push("logy=1");
    for (const column of Object.keys(options.colours)) {
      if (column in state.filters) parts.push(column + "=" + encodeList(state.filters[column]));
    }
    if (state.devices.length) parts.push("device=" + encodeList(state.devices));
    if (state.picks.length) parts.push("compare=" + encodeList(state.picks));
    return "#" + parts.join("&");
  }

  /* The view a hash names; null for a hash that names none (the page then starts as the
   * site's charts do). */
  function fromHash(hash, options) {
    const given = {};
    for (const part of hash.replace(/^#/, "").split("&")) {
      const at = part.indexOf("=");
      if (at > 0) given[part.slice(0, at)] = part.slice(at + 1);
    }
    const known = ["x", "y", "colour", "logx", "logy", "device", "compare"];
    if (!Object.keys(given).some((key) => known.includes(key) || key in options.colours)) {
      return null;
    }
    const pick = (axes, name) => (axes.some((axis) => axis.name === name) ? name : axes[0].name);
    const filters = {};
    for (const column of Object.keys(options.colours)) {
      if (column in given) filters[column] = decodeList(given[column]);
    }
    return {
      x: pick(options.x, given.x),
      y: pick(options.y, given.y),
      colour: given.colour in options.colours ? given.colour : options.start.colour,
      log_x: given.logx === "1",
      log_y: given.logy === "1",
      filters,
      devices: "device" in given ? decodeList(given.device) : [],
      picks: "compare" in given ? decodeList(given.compare).slice(0, MAX_PICKS) : [],
    };
  }

  function startingView(options) {
    const start = options.start;
    return {
      x: start.x,
      y: start.y,
      colour: start.colour,
      log_x: Boolean(start.log_x),
      log_y: Boolean(start.log_y),
      filters: {},
      devices: start.devices.slice(),
      picks: [],
    };
  }

  /* ---- what is drawn ---- */

  function axisOf(axes, name) {
    return axes.find((axis) => axis.name === name);
  }

  /* The rows drawn (their indices), and how many the filters kept before looking for both
   * values: as `figures.selection.select` selects them. */
  function selected(explore, state) {
    const { data, options } = explore;
    const columns = data.columns;
    const tests = [];
    const allowing = (column, values) => {
      const kept = new Set(values);
      return Uint8Array.from(columns[column].values, (value) => (kept.has(value) ? 1 : 0));
    };
    for (const column of Object.keys(options.colours)) {
      const values =
        column in state.filters
          ? state.filters[column]
          : column === "role"
            ? [options.startingRole]
            : null;
      if (values) tests.push([columns[column].codes, allowing(column, values)]);
    }
    if (state.devices.length) tests.push([columns.device.codes, allowing("device", state.devices)]);
    // Where x is not the latency, a configuration and quantization is one point: its first row.
    const seen = state.x === options.latency ? null : new Set();
    const configs = columns.config_id.codes;
    const quantizations = columns.quantization.codes;
    const xs = columns[axisOf(options.x, state.x).column];
    const ys = columns[axisOf(options.y, state.y).column];
    const error = state.y === "error";
    const rows = [];
    let kept = 0;
    for (let i = 0; i < data.rows; i++) {
      if (!tests.every(([codes, allowed]) => allowed[codes[i]])) continue;
      if (seen) {
        const key = configs[i] * 65536 + quantizations[i];
        if (seen.has(key)) continue;
        seen.add(key);
      }
      kept++;
      const x = xs[i];
      const y = error ? 1 - ys[i] : ys[i];
      if (Number.isNaN(x) || Number.isNaN(y)) continue;
      if ((state.log_x && !(x > 0)) || (state.log_y && !(y > 0))) continue;
      rows.push(i);
    }
    return { rows, kept };
  }

  function valueAt(data, column, i) {
    const values = data.columns[column];
    if (values instanceof Float64Array) return Number.isNaN(values[i]) ? null : values[i];
    return values.values[values.codes[i]];
  }

  /* The points of the rows: what the chart reads (the row's index for the rest: its
   * tooltip, its name, its place in tables). */
  function pointsOf(explore, state, rows) {
    const { data, options } = explore;
    const columns = data.columns;
    const xs = columns[axisOf(options.x, state.x).column];
    const ys = columns[axisOf(options.y, state.y).column];
    const error = state.y === "error";
    const colours = columns[state.colour];
    const field = options.colours[state.colour];
    const labelOf = new Map(field.values.map((value, i) => [value, field.labels[i]]));
    const labels = colours.values.map((value) => labelOf.get(value));
    const reference = columns.source.index.get(options.reference);
    const spread = columns.accuracy_std;
    const names = columns.name;
    return rows.map((i) => ({
      x: xs[i],
      y: error ? 1 - ys[i] : ys[i],
      colour: labels[colours.codes[i]],
      reference: columns.source.codes[i] === reference,
      accuracy_std: Number.isNaN(spread[i]) ? null : spread[i],
      config_id: columns.config_id.values[columns.config_id.codes[i]],
      name: names.values[names.codes[i]],
      row: i,
    }));
  }

  /* The Pareto front (as thesislab.site.pareto.pareto_front): the points no other point beats
   * on both axes, lowest x first; the highest y where y is the accuracy, the lowest error. */
  function frontOf(points, maximise) {
    const score = maximise ? (p) => p.y : (p) => -p.y;
    const order = points.map((_, i) => i);
    order.sort((a, b) => points[a].x - points[b].x || score(points[b]) - score(points[a]) || a - b);
    const front = [];
    let best = -Infinity;
    for (const i of order) {
      if (score(points[i]) > best) {
        front.push(i);
        best = score(points[i]);
      }
    }
    return front;
  }

  /* The ends of an axis spanning too little to be ticked, widened (as
   * thesislab.site.charts.selections.padding): null where its points span enough. */
  function widened(values, log, options) {
    let low = Infinity;
    let high = -Infinity;
    for (const value of values) {
      low = Math.min(low, value);
      high = Math.max(high, value);
    }
    if (log) {
      if (high / low >= options.logMinRatio) return null;
      const centre = Math.sqrt(low * high);
      const half = Math.sqrt(options.logMinRatio);
      return [centre / half, centre * half];
    }
    if (high - low >= options.linearMinSpan) return null;
    const centre = (low + high) / 2;
    return [centre - options.linearMinSpan / 2, centre + options.linearMinSpan / 2];
  }

  function paddingOf(points, state, options) {
    if (!points.length) return [];
    const padding = [];
    const [anchor] = points;
    for (const x of widened(points.map((p) => p.x), state.log_x, options) || []) {
      padding.push({ x, y: anchor.y });
    }
    for (const y of widened(points.map((p) => p.y), state.log_y, options) || []) {
      padding.push({ x: anchor.x, y });
    }
    return padding;
  }

  /* A copy of a template spec (screen or print) drawing the view: its axes' titles, scales and
   * tick labels, its colours, the picked configurations' names highlighted; without links
   * where clicks pick, without error bars around an error (as a figure has none there). */
  function specOf(template, explore, state, drawn, medium) {
    const { options } = explore;
    const spec = structuredClone(template);
    const xAxis = axisOf(options.x, state.x);
    const yAxis = axisOf(options.y, state.y);
    const xScale = state.log_x ? "log" : "linear";
    const yScale = state.log_y ? "log" : "linear";
    const field = options.colours[state.colour];
    const present = new Set(drawn.points.map((point) => point.colour));
    const at = field.labels.map((label, i) => i).filter((i) => present.has(field.labels[i]));
    const colours = { domain: at.map((i) => field.labels[i]), range: at.map((i) => field.colours[i]) };
    const highlighted = JSON.stringify(drawn.highlighted);
    const layers = [];
    for (const layer of spec.layer) {
      const encoding = layer.encoding || {};
      if (encoding.x && encoding.x.field === "x") {
        encoding.x.title = xAxis.titles[xScale];
        encoding.x.scale = structuredClone(options.scales[xScale]);
        if (encoding.x.axis) encoding.x.axis = { ...encoding.x.axis, format: xAxis.ticks[xScale] };
      }
      if (encoding.y && (encoding.y.field === "y" || encoding.y.field === "low")) {
        encoding.y.title = yAxis.titles[yScale];
        encoding.y.scale = structuredClone(options.scales[yScale]);
        if (encoding.y.axis) encoding.y.axis = { ...encoding.y.axis, format: yAxis.ticks[yScale] };
      }
      for (const name of ["color", "fill"]) {
        const channel = encoding[name];
        if (!channel || channel.field !== "colour") continue;
        channel.title = field.title;
        channel.legend = structuredClone(field.legend[medium]);
        channel.scale = structuredClone(colours);
      }
      if (explore.picking) delete encoding.href;
      const highlights = layer.name.startsWith("highlight_");
      if (highlights) {
        for (const step of layer.transform) {
          if (step.filter) step.filter = step.filter.replace(options.highlighted, highlighted);
        }
      }
      if (layer.name === "error_bars" && state.log_y) {
        layer.transform.push({ filter: "datum.low > 0" }); // a log axis has no room for the rest
      }
      // A layer without data would make its scales' extents infinite.
      const empty = !drawn[layer.data.name].length || (highlights && !drawn.sides.has(layer.name));
      if (!empty && !(layer.name === "error_bars" && state.y === "error")) layers.push(layer);
    }
    spec.layer = layers;
    spec.datasets = { points: drawn.points, front: drawn.front, padding: drawn.padding };
    if (spec.title) spec.title.text = yAxis.title + " against " + xAxis.title;
    return spec;
  }

  /* Of `points`, those the chart draws: all of them up to `most`; above, every point that
   * `keep` says (the front's, the highlighted ones) and, of the others, those ranked first (a
   * hash of each row, so a point stays in the sample or out of it whatever else is selected). */
  function sampled(points, keep, ranks, most) {
    if (points.length <= most) return points;
    const kept = new Set(points.map((_, i) => i).filter(keep));
    const others = points.map((_, i) => i).filter((i) => !kept.has(i));
    others.sort((a, b) => ranks[points[a].row] - ranks[points[b].row]);
    for (const i of others.slice(0, Math.max(0, most - kept.size))) kept.add(i);
    return points.filter((_, i) => kept.has(i));
  }

  /* A hash of each row's identity (configuration, quantization, device): its rank in samples. */
  function ranksOf(data) {
    const ranks = new Uint32Array(data.rows);
    for (let i = 0; i < data.rows; i++) {
      const identity = ["config_id", "quantization", "device"].map((c) => valueAt(data, c, i));
      let hash = 0x811c9dc5; // FNV-1a
      for (const character of identity.join("\u0000")) {
        hash = Math.imul(hash ^ character.charCodeAt(0), 0x01000193);
      }
      ranks[i] = hash >>> 0;
    }
    return ranks;
  }

  /* Whether each highlighted point's name goes on its left (as `Chart.label_left`): where
   * it lies past `labelLeftFrom` of the x axis's range, so that the name stays inside. */
  function labelSides(points, highlighted, log, from) {
    const position = log ? Math.log : (x) => x;
    let low = Infinity;
    let high = -Infinity;
    for (const point of points) {
      low = Math.min(low, position(point.x));
      high = Math.max(high, position(point.x));
    }
    for (const point of points) {
      if (!highlighted.has(point.name)) continue;
      point.label_left = high > low && (position(point.x) - low) / (high - low) > from;
    }
  }

  /* The highlight layers (`layers.highlights`) that have points to draw. */
  function highlightLayers(points, highlighted) {
    const sides = new Set();
    for (const point of points) {
      if (!highlighted.has(point.name)) continue;
      sides.add("highlight_rings");
      sides.add(point.label_left ? "highlight_labels_right" : "highlight_labels_left");
    }
    return sides;
  }

  function drawnOf(explore, state) {
    const { options } = explore;
    const choice = selected(explore, state);
    const points = pointsOf(explore, state, choice.rows);
    const front = frontOf(points, state.y !== "error");
    const onFront = new Set(front);
    const picks = new Set(state.picks);
    const highlighted = new Set(points.filter((p) => picks.has(p.config_id)).map((p) => p.name));
    labelSides(points, highlighted, state.log_x, options.labelLeftFrom);
    const keep = (i) => onFront.has(i) || highlighted.has(points[i].name);
    return {
      rows: choice.rows,
      kept: choice.kept,
      count: points.length,
      points: sampled(points, keep, explore.ranks, options.mostPoints),
      front: front.map((i) => ({ x: points[i].x, y: points[i].y, group: "all" })),
      frontPoints: front.map((i) => points[i]),
      padding: paddingOf(points, state, options),
      highlighted: [...highlighted],
      sides: highlightLayers(points, highlighted),
    };
  }

  /* ---- the controls ---- */

  function fieldsets(form) {
    return [...form.querySelectorAll("fieldset[data-filter]")];
  }

  function readControls(explore) {
    const { form, options, state } = explore;
    const view = {
      x: form.elements.x.value,
      y: form.elements.y.value,
      colour: form.elements.colour.value,
      log_x: form.elements.log_x.checked,
      log_y: form.elements.log_y.checked,
      filters: {},
      devices: [],
      picks: state.picks,
    };
    for (const fieldset of fieldsets(form)) {
      const column = fieldset.dataset.filter;
      const boxes = [...fieldset.querySelectorAll("input[type=checkbox]")];
      const checked = boxes.filter((box) => box.checked).map((box) => box.value);
      if (column === "device") {
        view.devices = checked.length === boxes.length ? [] : checked;
      } else if (column === "role") {
        if (!(checked.length === 1 && checked[0] === options.startingRole)) {
          view.filters.role = checked;
        }
      } else if (checked.length < boxes.length) {
        view.filters[column] = checked;
      }
    }
    return view;
  }

  function writeControls(explore) {
    const { form, options, state } = explore;
    form.elements.x.value = state.x;
    form.elements.y.value = state.y;
    form.elements.colour.value = state.colour;
    form.elements.log_x.checked = state.log_x;
    form.elements.log_y.checked = state.log_y;
    form.elements.pick.checked = explore.picking;
    for (const fieldset of fieldsets(form)) {
      const column = fieldset.dataset.filter;
      for (const box of fieldset.querySelectorAll("input[type=checkbox]")) {
        if (column === "device") {
          box.checked = !state.devices.length || state.devices.includes(box.value);
        } else if (column in state.filters) {
          box.checked = state.filters[column].includes(box.value);
        } else {
          box.checked = column !== "role" || box.value === options.startingRole;
        }
      }
    }
  }

  /* ---- drawing ---- */

  function chartSize(element) {
    const width = Math.max(300, Math.min(900, element.clientWidth - 190));
    return { width, height: Math.round(width * 0.6) };
  }

  /* A hovered point's tooltip: its row's fields, as the site's tables write them. */
  function tooltipOf(explore) {
    return (datum, sanitize) => {
      const rows = explore.options.tooltip.map(
        (column) =>
          '<tr><td class="key">' + sanitize(column.title) + '</td><td class="value">' +
          sanitize(tl.display(column.format, valueAt(explore.data, column.name, datum.row))) +
          "</td></tr>"
      );
      return "<table>" + rows.join("") + "</table>";
    };
  }

  /* What the chart's spec depends on besides the rows: a view drawing the same can take the
   * new rows as they are. */
  function specKey(explore, spec) {
    const { state } = explore;
    const layers = spec.layer.map((layer) => layer.name || layer.data.name);
    const colours = spec.layer.map((layer) => (layer.encoding.color || {}).scale);
    const shape = [state.x, state.y, state.log_x, state.log_y, state.colour, explore.picking];
    return JSON.stringify([...shape, layers, colours, spec.width]);
  }

  async function draw(explore) {
    const started = performance.now();
    const { state } = explore;
    const drawn = drawnOf(explore, state);
    if (!drawn.points.length) {
      const empty = document.createElement("p");
      empty.className = "tl-empty";
      empty.textContent = "No result for this selection.";
      show(explore, null, null, empty);
    } else {
      const spec = specOf(explore.screen, explore, state, drawn, "screen");
      Object.assign(spec, chartSize(explore.container));
      const key = specKey(explore, spec);
      if (explore.view && explore.viewKey === key) {
        for (const name of new Set(spec.layer.map((layer) => layer.data.name))) {
          explore.view.data(name, spec.datasets[name]);
        }
        await explore.view.runAsync();
      } else {
        const target = document.createElement("div");
        const view = (
          await vegaEmbed(target, spec, {
            actions: false,
            renderer: "canvas",
            loader: { baseURL: explore.root },
            tooltip: { formatTooltip: tooltipOf(explore) },
          })
        ).view;
        await view.runAsync();
        view.addEventListener("click", (event, item) => {
          if (explore.picking && item && item.datum && item.datum.config_id) {
            togglePick(explore, item.datum.config_id);
          }
        });
        show(explore, view, key, target);
      }
    }
    explore.drawn = drawn;
    describe(explore);
    explore.redrawMs = performance.now() - started;
    explore.draws += 1;
  }

  /* Put a new chart (or the note that there is none) in place of the last. */
  function show(explore, view, key, element) {
    if (explore.view) explore.view.finalize();
    explore.view = view;
    explore.viewKey = key;
    explore.chart.replaceChildren(element);
    for (const button of explore.container.querySelectorAll(".tl-explore-download")) {
      button.disabled = !view && !["csv", "yaml"].includes(button.dataset.format);
    }
  }

  function describe(explore) {
    const { drawn, options, state, container } = explore;
    const xTitle = axisOf(options.x, state.x).title;
    const yTitle = axisOf(options.y, state.y).title.toLowerCase();
    const missing = drawn.kept - drawn.count;
    let text = drawn.count.toLocaleString("en-US") + " points";
    if (state.x !== options.latency) text += " (one per configuration and quantization)";
    if (drawn.points.length < drawn.count) {
      text += ", " + drawn.points.length.toLocaleString("en-US") + " of them drawn: every point";
      text += " of the front and a sample of the others (the CSV holds them all)";
    }
    if (missing) {
      text += "; " + missing.toLocaleString("en-US") + " of the results kept have no ";
      text += xTitle + " or no " + yTitle;
      if (state.log_x || state.log_y) text += " (or one ≤ 0 on a log axis)";
    }
    if (!explore.complete) {
      const total = Number(container.dataset.rows).toLocaleString("en-US");
      const loaded = explore.data.rows.toLocaleString("en-US");
      text += " (loading: " + loaded + " of " + total + " results so far)";
    }
    container.querySelector(".tl-explore-count").textContent = text + ".";
    frontTable(explore);
    tray(explore);
  }

  function frontTable(explore) {
    const { drawn, options, state, container } = explore;
    const table = container.querySelector(".tl-explore-front");
    const xAxis = axisOf(options.x, state.x);
    const yAxis = axisOf(options.y, state.y);
    const colour = options.colours[state.colour];
    // the colour's column, unless it is the quantization's, which the table shows anyway
    const ownColour = state.colour !== "quantization";
    const heads = ["Name (tick to compare)", ...(ownColour ? [colour.title] : [])];
    heads.push("Quantization", "Device", xAxis.title, yAxis.title);
    const firstNumber = heads.length - 2;
    const head = document.createElement("tr");
    heads.forEach((title, i) => {
      const th = document.createElement("th");
      th.textContent = title;
      if (i >= firstNumber) th.className = "tl-number";
      head.append(th);
    });
    table.tHead.replaceChildren(head);
    const picks = new Set(state.picks);
    const rows = drawn.frontPoints.slice(0, FRONT_ROWS).map((point) => {
      const value = (column) => valueAt(explore.data, column, point.row);
      const tr = document.createElement("tr");
      const pick = document.createElement("input");
      pick.type = "checkbox";
      pick.className = "tl-pick";
      pick.dataset.config = point.config_id;
      pick.checked = picks.has(point.config_id);
      pick.setAttribute("aria-label", "compare " + value("name"));
      const link = document.createElement("a");
      link.href = explore.root + "/" + options.modelPage.replace("{id}", point.config_id);
      link.textContent = value("name");
      const cells = [
        [pick, link],
        ...(ownColour ? [point.colour] : []),
        value("quantization"),
        value("device"),
        tl.display(xAxis.format, point.x),
        tl.display(yAxis.format, point.y),
      ];
      cells.forEach((content, i) => {
        const td = document.createElement("td");
        if (Array.isArray(content)) td.append(...content);
        else td.textContent = content;
        if (i >= firstNumber) td.className = "tl-number";
        tr.append(td);
      });
      return tr;
    });
    table.tBodies[0].replaceChildren(...rows);
    const more = drawn.frontPoints.length - FRONT_ROWS;
    container.querySelector(".tl-front-more").textContent =
      more > 0 ? "and " + more + " more points on the front (the CSV holds every point)." : "";
  }

  function nameOf(explore, configId) {
    const column = explore.data.columns.config_id;
    const code = column.index.get(configId);
    if (code === undefined) return configId;
    const row = column.codes.indexOf(code);
    return valueAt(explore.data, "name", row);
  }

  function tray(explore) {
    const { state, container } = explore;
    const list = container.querySelector(".tl-picked");
    const link = container.querySelector(".tl-compare-link");
    explore.hint = explore.hint || list.textContent;
    if (!state.picks.length) {
      list.textContent = explore.hint;
    } else {
      list.replaceChildren(
        ...state.picks.map((id) => {
          const button = document.createElement("button");
          button.type = "button";
          button.className = "tl-unpick";
          button.dataset.config = id;
          button.title = "remove from the comparison";
          button.textContent = nameOf(explore, id) + " ×";
          return button;
        })
      );
    }
    link.hidden = state.picks.length < 2;
    link.href = explore.compare + "#ids=" + encodeList(state.picks);
  }

  function togglePick(explore, configId) {
    const picks = explore.state.picks.filter((id) => id !== configId);
    if (picks.length === explore.state.picks.length) {
      if (picks.length >= MAX_PICKS) return;
      picks.push(configId);
    }
    change(explore, { ...explore.state, picks });
  }

  /* Draw the view `state`, noting it in the address. */
  function change(explore, state) {
    explore.state = state;
    writeControls(explore);
    const hash = toHash(state, explore.options);
    if (location.hash !== hash) history.replaceState(history.state, "", hash);
    explore.pending = (explore.pending || Promise.resolve())
      .then(() => draw(explore))
      .catch((error) => console.error("thesislab:", error));
    return explore.pending;
  }

  /* ---- downloads ---- */

  async function printed(explore) {
    const { state } = explore;
    const spec = specOf(explore.print, explore, state, explore.drawn, "print");
    const result = await vegaEmbed(document.createElement("div"), spec, {
      actions: false,
      renderer: "none",
    });
    return result.view;
  }

  function csvOf(explore) {
    const { data, drawn, options } = explore;
    const quote = (value) => {
      if (value === null) return "";
      const text = String(value);
      return /[",\n\r]/.test(text) ? '"' + text.replaceAll('"', '""') + '"' : text;
    };
    const lines = [options.csv.join(",")];
    for (const i of drawn.rows) {
      lines.push(options.csv.map((column) => quote(valueAt(data, column, i))).join(","));
    }
    return lines.join("\n") + "\n";
  }

  const PLAIN = /^[A-Za-z0-9_][A-Za-z0-9_.\/-]*$/;
  const RESERVED = /^(true|false|yes|no|on|off|null|y|n|~|[-+]?[0-9][0-9_.eE+-]*|\.inf|\.nan)$/i;

  function yamlText(value) {
    return PLAIN.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value);
  }

  function yamlList(values) {
    return "[" + values.map(yamlText).join(", ") + "]";
  }

  /* The view as a figure spec (what `thesislab figure SPEC.yaml` renders). */
  function figureSpec(explore) {
    const { state, options } = explore;
    const filtered = Object.keys(options.colours).filter((column) => column in state.filters);
    const lines = ["x: " + state.x, "y: " + state.y, "colour: " + state.colour];
    lines.push("filters:" + (filtered.length ? "" : " {}"));
    for (const column of filtered) {
      lines.push("  " + column + ": " + yamlList(state.filters[column]));
    }
    lines.push("devices: " + yamlList(state.devices));
    lines.push("log_x: " + state.log_x, "log_y: " + state.log_y);
    lines.push("highlight: " + yamlList(explore.drawn.highlighted), "title: null");
    lines.push("width_cm: " + options.widthCm, "font_size_pt: " + options.fontSizePt);
    return lines.join("\n") + "\n";
  }

  /* A one-page PDF holding the `canvas` (drawn at `ppi`) at its size: RGB, deflated. */
  async function pdfOf(canvas, ppi) {
    const { width, height } = canvas;
    const pixels = canvas.getContext("2d").getImageData(0, 0, width, height).data;
    const rgb = new Uint8Array(width * height * 3);
    for (let i = 0, j = 0; i < pixels.length; i += 4) {
      const alpha = pixels[i + 3] / 255; // over white
      for (let c = 0; c < 3; c++) rgb[j++] = Math.round(pixels[i + c] * alpha + 255 * (1 - alpha));
    }
    const deflated = new Blob([rgb]).stream().pipeThrough(new CompressionStream("deflate"));
    const image = new Uint8Array(await new Response(deflated).arrayBuffer());
    const size = (n) => ((n * 72) / ppi).toFixed(2);
    const content = "q " + size(width) + " 0 0 " + size(height) + " 0 0 cm /Picture Do Q";
    const objects = [
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 " + size(width) + " " + size(height) + "]" +
        " /Resources << /XObject << /Picture 4 0 R >> >> /Contents 5 0 R >>",
      [
        "<< /Type /XObject /Subtype /Image /Width " + width + " /Height " + height +
          " /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length " +
          image.length + " >>\nstream\n",
        image,
        "\nendstream",
      ],
      "<< /Length " + content.length + " >>\nstream\n" + content + "\nendstream",
    ];
    const encoder = new TextEncoder();
    const parts = [encoder.encode("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")];
    let offset = parts[0].length;
    const offsets = [];
    objects.forEach((object, i) => {
      offsets.push(offset);
      const body = Array.isArray(object) ? object : [object];
      const pieces = [i + 1 + " 0 obj\n", ...body, "\nendobj\n"];
      for (const piece of pieces) {
        const bytes = typeof piece === "string" ? encoder.encode(piece) : piece;
        parts.push(bytes);
        offset += bytes.length;
      }
    });
    const xref = ["xref", "0 " + (objects.length + 1), "0000000000 65535 f "];
    for (const at of offsets) xref.push(String(at).padStart(10, "0") + " 00000 n ");
    xref.push("trailer", "<< /Size " + (objects.length + 1) + " /Root 1 0 R >>");
    xref.push("startxref", String(offset), "%%EOF\n");
    parts.push(encoder.encode(xref.join("\n")));
    return new Blob(parts, { type: "application/pdf" });
  }

  async function download(explore, format) {
    const name = "explore";
    if (format === "csv") {
      tl.save(new Blob([csvOf(explore)], { type: "text/csv" }), name + ".csv");
      return;
    }
    if (format === "yaml") {
      tl.save(new Blob([figureSpec(explore)], { type: "application/yaml" }), name + ".yaml");
      return;
    }
    const view = await printed(explore);
    try {
      if (format === "svg") {
        tl.save(new Blob([await view.toSVG()], { type: "image/svg+xml" }), name + ".svg");
        return;
      }
      const canvas = await view.toCanvas(tl.PNG_PPI / 72);
      if (format === "pdf") {
        tl.save(await pdfOf(canvas, tl.PNG_PPI), name + ".pdf");
        return;
      }
      const png = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
      tl.save(await tl.withResolution(png, tl.PNG_PPI), name + ".png");
    } finally {
      view.finalize();
    }
  }

  /* ---- the page ---- */

  async function explorePage(container) {
    const left = window.thesislabExplore; // the page's last visit, before instant navigation
    if (left && !left.container.isConnected && left.view) left.view.finalize();
    const options = JSON.parse(container.dataset.options);
    const [start, ...rest] = JSON.parse(container.dataset.chunks).map((chunk) =>
      tl.loadData.bind(null, chunk.key, chunk.src)
    );
    const loaded = [await start()];
    const explore = {
      container,
      options,
      complete: !rest.length,
      form: container.querySelector(".tl-explore-controls"),
      chart: container.querySelector(".tl-explore-chart"),
      screen: JSON.parse(container.dataset.spec),
      print: JSON.parse(container.dataset.printSpec),
      root: container.dataset.root,
      compare: container.dataset.compare,
      picking: false,
      view: null,
      draws: 0,
    };
    setData(explore, loaded);
    explore.state = fromHash(location.hash, options) || startingView(options);
    window.thesislabExplore = explore;

    const { form } = explore;
    form.addEventListener("change", (event) => {
      if (event.target.name === "pick") {
        explore.picking = event.target.checked;
        change(explore, explore.state);
      } else {
        change(explore, readControls(explore));
      }
    });
    form.addEventListener("submit", (event) => event.preventDefault());
    form.addEventListener("click", (event) => {
      const button = event.target.closest(".tl-all");
      if (!button) return;
      for (const box of button.closest("fieldset").querySelectorAll("input")) box.checked = true;
      change(explore, readControls(explore));
    });
    container.addEventListener("change", (event) => {
      const box = event.target.closest(".tl-pick");
      if (box) togglePick(explore, box.dataset.config);
    });
    container.addEventListener("click", (event) => {
      const unpick = event.target.closest(".tl-unpick");
      if (unpick) togglePick(explore, unpick.dataset.config);
      const button = event.target.closest(".tl-explore-download");
      if (button) {
        const format = button.dataset.format;
        download(explore, format).catch((error) => console.error("thesislab:", error));
      }
    });
    const followHash = () => {
      if (!container.isConnected) {
        window.removeEventListener("hashchange", followHash);
        if (explore.view) explore.view.finalize();
        return;
      }
      const state = fromHash(location.hash, options);
      if (state) change(explore, state);
    };
    window.addEventListener("hashchange", followHash);
    await change(explore, explore.state);
    if (explore.complete) return;
    // The first data file is drawn at once; the others, loaded meanwhile, join it.
    setData(explore, [...loaded, ...(await Promise.all(rest.map((load) => load())))]);
    explore.complete = true;
    await change(explore, explore.state);
  }

  function setData(explore, chunks) {
    explore.data = joined(chunks);
    explore.ranks = ranksOf(explore.data);
  }

  (window.thesislabPageScripts = window.thesislabPageScripts || {}).explore = explorePage;
})();
