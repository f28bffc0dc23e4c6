"""The campaign report: numbers gathered once (:mod:`.data`), drawn as a self-contained page
(:mod:`.charts` with pygal, :mod:`.page`)."""
