"""Figures for a document: a figure spec (`spec`) selects rows of the results table
(`selection`) into a chart drawn as the site draws its charts; a figure (`figure`: a chart, where
its selectors stand, its width and font size), whether made from a spec or one of the site's
charts, is written as PDF, SVG, PNG, PGF/TikZ or CSV (`render`, `pgf`). `thesislab figure` and
`thesislab chart` (`cli`)."""
