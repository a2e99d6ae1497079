"""Lab 8 graders: the file system (handouts/lab8-fs.md, §5). Being written."""
