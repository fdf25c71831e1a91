"""The results site: result pages generated at build time by a MkDocs plugin, with Altair charts.

`plugin` hooks into MkDocs, `build` runs a whole build, `pages` decides what each page shows,
`frames` derives the tables the pages need, `charts` draws them, `exports` renders figures for the
thesis, `render` turns pages into HTML, `pareto` computes accuracy-latency frontiers and `palette`
keeps colours stable across pages.
"""
