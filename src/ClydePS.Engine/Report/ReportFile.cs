using System.Text;

namespace ClydePS.Engine.Report;

/// <summary>How a report file is written: as Out-File does (overwrite, -Append, -NoClobber, -Force for read-only files).</summary>
public static class ReportFile
{
    static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>
    /// Checks that <paramref name="path"/> can be written (before anything is rendered or written): the folder exists,
    /// the path is not a folder, an existing file is not kept by -NoClobber, and a read-only one needs -Force.
    /// </summary>
    public static void Check(string path, bool append, bool noClobber, bool force)
    {
        if (Directory.Exists(path))
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeReportPathIsDirectory",
                $"'{path}' is a folder: give a file path such as {Path.Combine(path, "report.html")}.", path);
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null && !Directory.Exists(folder))
        {
            throw new ClydeException(ClydeErrorKind.NotFound, "ClydeReportFolderNotFound",
                $"The folder '{folder}' does not exist: create it first (New-Item -ItemType Directory).", path);
        }
        if (!File.Exists(path))
        {
            return;
        }
        if (noClobber && !append)
        {
            throw new ClydeException(ClydeErrorKind.AlreadyExists, "ClydeReportFileExists",
                $"The file '{path}' already exists and -NoClobber keeps it: remove -NoClobber to overwrite it, or use another -Path.", path);
        }
        if (!force && new FileInfo(path).IsReadOnly)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeReportFileReadOnly",
                $"The file '{path}' is read-only: use -Force to write it anyway.", path);
        }
    }

    /// <summary>Writes (or appends) UTF-8 text without a BOM. With <paramref name="force"/> a read-only file is written and stays read-only.</summary>
    public static FileInfo Write(string path, string content, bool append, bool noClobber, bool force)
    {
        Check(path, append, noClobber, force);
        var info = new FileInfo(path);
        var readOnly = info.Exists && info.IsReadOnly;
        if (readOnly)
        {
            info.IsReadOnly = false;
        }
        try
        {
            if (append && info.Exists && info.Length > 0)
            {
                // A blank line between the previous content and the appended block keeps Markdown blocks apart.
                var separator = EndsWithNewline(path) ? "\n" : "\n\n";
                File.AppendAllText(path, separator + content, Utf8);
            }
            else if (append)
            {
                File.AppendAllText(path, content, Utf8);
            }
            else
            {
                File.WriteAllText(path, content, Utf8);
            }
        }
        finally
        {
            if (readOnly)
            {
                info.Refresh();
                info.IsReadOnly = true;
            }
        }
        info.Refresh();
        return info;
    }

    static bool EndsWithNewline(string path)
    {
        using var stream = File.OpenRead(path);
        if (stream.Length == 0)
        {
            return true;
        }
        stream.Seek(-1, SeekOrigin.End);
        return stream.ReadByte() == '\n';
    }
}
