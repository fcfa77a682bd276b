"""A run folder: its files (metrics, schedules, memory, config, finetuned.onnx) and the pictures drawn from them."""
