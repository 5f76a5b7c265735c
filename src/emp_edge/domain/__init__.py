"""The school's rules: personal codes, classes, school years, cards and money, with no I/O."""
