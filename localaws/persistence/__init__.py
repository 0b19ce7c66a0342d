"""Durable state of the local stack: what the server keeps in its state folder so a restart (or a crash) loses
nothing but, at worst, the last second.

`layout` is the on-disk format (file names, the version stamp, the checks a loader runs) and is pure: the
client tools read it too. `snapshots` (server side only) writes and loads the state of moto's backends and of
the stack's own services.
"""
