"""Class lists (pupil rosters): read, check and import in one transaction."""
