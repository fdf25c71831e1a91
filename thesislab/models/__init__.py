"""Architecture families, their registry, specs and parameter/MAC counting."""
