// Go's texts for failed file operations (*fs.PathError with a syscall.Errno), as nats-server
// prints them: one table for the config loader, the TLS files and the log file.

const ERRNO: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory",
  ENOTDIR: "not a directory",
  EROFS: "read-only file system",
  ENOSPC: "no space left on device",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "file name too long",
};

/** os.OpenFile's error: "open FILE: <errno text>". */
export function goOpenError(file: string, e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return `open ${file}: ${ERRNO[err.code ?? ""] ?? err.message}`;
}

/** os.ReadFile's error: a directory opens, and its read fails. */
export function goReadFileError(file: string, e: unknown): string {
  return (e as NodeJS.ErrnoException).code === "EISDIR" ? `read ${file}: is a directory` : goOpenError(file, e);
}
