-- slotdav's store in PostgreSQL, migration 1: the ordered records.
--
-- One row per record of the store, keyed by the same bytes as the sled
-- backend's tree (src/storage/keys.rs): a one-byte tag, then the path or
-- table and key. bytea sorts bytewise, so the primary key's btree answers
-- every query of the store as an index range scan: a collection's members
-- (N | parent | 0x00), a change log since a revision (H | collection | rev),
-- the time-range index by calendar and start (S | calendar | 0x00 | start),
-- a UID (I | calendar | uid), a domain table's prefix or range
-- (X | table | 0x00 | key), a user (U), usage (Q).
CREATE TABLE slotdav_records (
    k bytea PRIMARY KEY,
    v bytea NOT NULL
);
