/* thesislab comparison page: the configurations its address names (#ids=ID1,ID2) side by
 * side, from the data files holding their facts (thesislab.site.compare), the rows whose
 * settings differ marked. Follows the address as it changes; a configuration's "remove" button
 * takes it out of the address.
 *
 * Loaded by the site script (site.js) on the comparison page, whose helpers it uses
 * (window.thesislab).
 */
(function () {
  "use strict";

  const tl = window.thesislab;

  function idsOf(hash) {
    const found = /(?:^#|&)ids=([^&]*)/.exec(hash);
    return found && found[1] ? found[1].split(",").map(decodeURIComponent) : [];
  }

  async function factsOf(container, ids) {
    const files = JSON.parse(container.dataset.files);
    const length = Number(container.dataset.prefixLength);
    const wanted = [...new Set(ids.map((id) => id.slice(0, length)))].filter((p) => p in files);
    const loaded = await Promise.all(
      wanted.map((prefix) => tl.loadData(files[prefix].key, files[prefix].src))
    );
    const byId = new Map(loaded.flat().map((facts) => [facts.id, facts]));
    return ids.map((id) => byId.get(id) || null);
  }

  const text = (value) =>
    value === null || value === undefined
      ? "–"
      : typeof value === "string"
        ? value
        : typeof value === "boolean"
          ? value ? "yes" : "no"
          : JSON.stringify(value);

  function linksTo(root, items) {
    if (!items.length) return "–";
    const nodes = [];
    items.forEach((item, i) => {
      if (i) nodes.push(", ");
      const link = document.createElement("a");
      link.href = root + "/" + item.page;
      link.textContent = item.name;
      nodes.push(link);
    });
    return nodes;
  }

  function accuracyOf(row) {
    if (row.accuracy === null) return "–";
    let shown = tl.display("percent", row.accuracy);
    if (row.accuracy_std !== null) shown += " " + tl.display("spread", row.accuracy_std);
    return shown + " (n = " + row.n_seeds + ")";
  }

  function latencyOf(row) {
    if (row.latency_ms === null) return "–";
    const own = row.latency_from === "architecture" ? " (of the architecture)" : "";
    return tl.display("ms", row.latency_ms) + own;
  }

  const union = (lists) => [...new Set(lists.flat())];

  /* The table's sections: a title, whether differences are marked, and rows of a label and
   * each configuration's cell (text, or nodes). */
  function sections(shown, root) {
    const architecture = union(shown.map((f) => Object.keys(f.architecture))).sort();
    const recipe = union(shown.map((f) => Object.keys(f.recipe))).sort();
    const quantizations = union(shown.map((f) => f.results.map((row) => row.quantization)));
    const deployments = union(
      shown.map((f) =>
        f.results
          .filter((row) => row.device !== null)
          .map((row) => row.quantization + " on " + row.device)
      )
    ).sort();
    const rowOf = (f, quantization, device) =>
      f.results.find(
        (row) => row.quantization === quantization && (!device || row.device === device)
      );
    const count = (value) => (value === null ? "–" : tl.display("count", value));
    return [
      {
        title: "Architecture",
        marked: true,
        rows: [
          ["Family", shown.map((f) => f.family)],
          ...architecture.map((key) => [key, shown.map((f) => text(f.architecture[key]))]),
          ["Widths", shown.map((f) => (f.widths ? f.widths.join(" ") : "the family's"))],
          ["Parameters", shown.map((f) => count(f.params))],
          ["MACs", shown.map((f) => count(f.macs))],
        ],
      },
      {
        title: "Results",
        marked: false,
        rows: [
          ...quantizations.map((q) => [
            q === null ? "Accuracy" : "Accuracy, " + q,
            shown.map((f) => (rowOf(f, q) ? accuracyOf(rowOf(f, q)) : "–")),
          ]),
          ...deployments.map((label) => {
            const [quantization, device] = label.split(" on ");
            const latency = (f) => rowOf(f, quantization, device);
            return ["Latency, " + label, shown.map((f) => (latency(f) ? latencyOf(latency(f)) : "–"))];
          }),
        ],
      },
      {
        title: "Lineage",
        marked: true,
        rows: [
          ["Stage", shown.map((f) => f.stage.replaceAll("_", "-"))],
          ["Pruning", shown.map((f) => f.pruning || "none")],
          ["Pruned from", shown.map((f) => linksTo(root, f.parents))],
          ["Distilled", shown.map((f) => (f.distilled ? "yes" : "no"))],
          ["Teacher", shown.map((f) => linksTo(root, f.teachers))],
          ["Source", shown.map((f) => f.source)],
          ["Role", shown.map((f) => f.role)],
          ["Seeds", shown.map((f) => String(f.seeds))],
        ],
      },
      {
        title: "Recipe",
        marked: true,
        rows: recipe.map((key) => [key, shown.map((f) => (key in f.recipe ? f.recipe[key] : "–"))]),
      },
    ];
  }

  const cellText = (cell) =>
    typeof cell === "string"
      ? cell
      : cell.map((node) => (typeof node === "string" ? node : node.textContent)).join("");

  function render(container, ids, facts) {
    const root = container.dataset.root;
    const table = container.querySelector(".tl-compare-table");
    const status = container.querySelector(".tl-compare-status");
    const shown = facts.filter(Boolean);
    const unknown = ids.filter((_, i) => !facts[i]);
    const notes = [];
    if (!ids.length) {
      notes.push("No configuration named yet: pick two to four on the Explore page.");
    }
    if (unknown.length) notes.push("Not in these results: " + unknown.join(", ") + ".");
    status.textContent = notes.join(" ");
    status.hidden = !notes.length;
    const head = document.createElement("tr");
    head.append(document.createElement("th"));
    for (const f of shown) {
      const th = document.createElement("th");
      const link = document.createElement("a");
      link.href = root + "/" + f.page;
      link.textContent = f.name;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "tl-unpick";
      remove.dataset.config = f.id;
      remove.title = "remove from the comparison";
      remove.textContent = "×";
      th.append(link, " ", remove);
      th.dataset.config = f.id;
      head.append(th);
    }
    table.tHead.replaceChildren(head);
    const rows = [];
    for (const section of shown.length ? sections(shown, root) : []) {
      if (!section.rows.length) continue;
      const title = document.createElement("tr");
      title.className = "tl-compare-section";
      const th = document.createElement("th");
      th.colSpan = shown.length + 1;
      th.textContent = section.title;
      title.append(th);
      rows.push(title);
      for (const [label, cells] of section.rows) {
        const tr = document.createElement("tr");
        const differs = section.marked && shown.length > 1 && new Set(cells.map(cellText)).size > 1;
        if (differs) tr.className = "tl-differs";
        const name = document.createElement("th");
        name.scope = "row";
        name.textContent = label;
        if (differs) name.title = "differs";
        tr.append(name);
        for (const cell of cells) {
          const td = document.createElement("td");
          if (typeof cell === "string") td.textContent = cell;
          else td.append(...cell);
          tr.append(td);
        }
        rows.push(tr);
      }
    }
    table.tBodies[0].replaceChildren(...rows);
    table.hidden = !shown.length;
  }

  async function comparePage(container) {
    const most = Number(container.dataset.most);
    const show = async () => {
      const ids = idsOf(location.hash).slice(0, most);
      render(container, ids, await factsOf(container, ids));
      const rendered = (window.thesislabCompare || { rendered: 0 }).rendered + 1;
      window.thesislabCompare = { ids, rendered };
    };
    const followHash = () => {
      if (!container.isConnected) {
        window.removeEventListener("hashchange", followHash);
        return;
      }
      show().catch((error) => console.error("thesislab:", error));
    };
    window.addEventListener("hashchange", followHash);
    container.addEventListener("click", (event) => {
      const remove = event.target.closest(".tl-unpick");
      if (!remove) return;
      const ids = idsOf(location.hash).filter((id) => id !== remove.dataset.config);
      history.replaceState(history.state, "", "#ids=" + ids.map(encodeURIComponent).join(","));
      followHash();
    });
    await show();
  }

  (window.thesislabPageScripts = window.thesislabPageScripts || {}).compare = comparePage;
})();
