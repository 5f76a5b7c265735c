"""The card station: the print-and-encode pass over a batch of cards, and the station's daily
care (expired cards, the retention purge). It joins the printer, the encoder and the store."""
