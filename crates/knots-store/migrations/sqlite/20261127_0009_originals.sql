-- The original activity files, as imported, so that `knots export --originals` can give them back
-- byte for byte. One row per file, on the first activity the file added (a file of several
-- activities is kept once); it goes when that activity is deleted. `name` is the path as
-- imported (`export.zip!activities/1.fit.gz` for a zip member); `data` is `codec`-encoded
-- (`zstd`, or `none` for bytes kept as they were, such as gzip); `size` and `crc32` describe the
-- original bytes.
CREATE TABLE originals (
    id          INTEGER PRIMARY KEY,
    activity_id INTEGER NOT NULL UNIQUE REFERENCES activities (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    codec       TEXT NOT NULL CHECK (codec IN ('none', 'zstd')),
    size        INTEGER NOT NULL CHECK (size >= 0),
    crc32       INTEGER NOT NULL,
    data        BLOB NOT NULL
);
