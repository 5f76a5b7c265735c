"""Card readers behind one port: pcsc (pyscard), nfcpy, and simulated."""
