"""The inbox and the master data: reading export files (three encodings, three formats),
validating rows with Pandera (bad ones to the rejects), loading them into the warehouse once each."""
