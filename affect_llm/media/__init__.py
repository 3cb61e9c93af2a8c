"""Media decoding: sampled frames, 16 kHz audio, face crops, subtitles and prosody."""
