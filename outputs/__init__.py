"""What a run leaves on disk: files written atomically, the run folder (staging, publish,
leftovers of a killed run) and the identity of the processes that write them."""
