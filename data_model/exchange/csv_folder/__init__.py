"""The CSV folder format: reading and checking its files, importing them in staged batches, exporting them."""
