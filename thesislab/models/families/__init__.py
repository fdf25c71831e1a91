"""The architecture families: every module here defines one family and registers it.

`registry.families()` imports every module of this package, so adding a family is adding a module
(see CONTRIBUTING.md). Blocks that several families share live one level up (`blocks`, `stages`,
`inverted`).
"""
