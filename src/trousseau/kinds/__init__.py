"""Job kinds that tie the queue to imaging, the vault and the catalog.

Importing this package registers them; workers import it in every job process.
"""

from trousseau.jobs import register, register_batch

register("variants", "trousseau.kinds.variants:run")
register_batch("variants", "trousseau.kinds.variants:run_batch")
