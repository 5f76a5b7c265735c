"""Card faces, card printers (CUPS, spool), receipts (ESC/POS) and PDF documents."""
