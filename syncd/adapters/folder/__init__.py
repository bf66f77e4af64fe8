"""A watched folder as a third source: FIT/GPX/TCX files dropped by a phone sync app, a watch's USB dump or a
Syncthing share are picked up by the daemon, stored and annotated; notes stay in syncd (no write-back). The daemon's
service for it (the passes through the one pipeline) is syncd.services.folder_sync.

Import the submodules (source, quarantine): this package imports nothing, so `syncd status` can read the
quarantine list without loading the file parsers and numpy."""
