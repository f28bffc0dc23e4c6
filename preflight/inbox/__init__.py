"""The inbox reader: sort what arrives after a campaign (bounce, auto-reply, reply, opt-out,
other) and apply it to the ledger. :mod:`.sorters` decides the kind of one message and knows
nothing of ledgers or sources; :mod:`.importer` is the workflow around it."""
