"""Backup: a snapshot repository for the vault's originals and the catalog.

Vocabulary (restic's, where it has a word for it):

repository  where backups live: a directory or an S3-compatible bucket prefix (a *target*),
            replicated to N targets; it holds key files, packs, indexes, snapshots, locks
key file    the master key, sealed by a key derived from the passphrase (scrypt)
chunk       a content-defined piece of a blob (FastCDC), named by a keyed hash of its bytes,
            compressed (zstd, when it helps) and encrypted (AES-256-GCM)
data key    each wedding's own key; its chunks are readable only through it, so destroying it
            erases the wedding from every snapshot and replica (crypto-shredding)
pack        a file of many encrypted chunks with an encrypted header listing them
index       which pack holds each chunk, so a backup writes only chunks it has not stored
snapshot    an immutable manifest: what the vault and the catalog held at one moment
lock        a file naming its holder (host, process): shared for backup, exclusive for prune
change      a vault blob or catalog row written since the last backup (the change log), so a
            run touches only what changed
"""
