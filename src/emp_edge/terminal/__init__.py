"""Card readers behind one port, the tap pipeline, and the canteen and attendance handlers."""
