using System.Text;

namespace ClydePS.Engine.Report;

/// <summary>
/// Writes the compact summary of a <see cref="RolloutReport"/> as GitHub-flavored Markdown (for a CI job summary such
/// as <c>$GITHUB_STEP_SUMMARY</c>): a heading and the overview tables. Cells are escaped (pipes, HTML, line breaks).
/// </summary>
public static class MarkdownReportWriter
{
    public static string Write(RolloutReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        sb.Append("### ").Append(Cell(report.Title)).Append('\n');
        foreach (var (name, table) in report.Overview)
        {
            sb.Append('\n').Append("**").Append(Cell(name)).Append("**\n\n");
            sb.Append("| ").AppendJoin(" | ", table.Headers.Select(Cell)).Append(" |\n");
            sb.Append('|').AppendJoin("|", table.Headers.Select(_ => "---")).Append("|\n");
            foreach (var row in table.Rows)
            {
                sb.Append("| ").AppendJoin(" | ", row.Select(Cell)).Append(" |\n");
            }
        }
        return sb.ToString();
    }

    /// <summary>Escapes a table cell: HTML special characters, pipes, backslashes, backticks and line breaks.</summary>
    public static string Cell(string? text)
    {
        var s = (text ?? "").Replace("\r\n", " ").Replace('\n', ' ').Replace('\r', ' ');
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '|': sb.Append("\\|"); break;
                case '\\': sb.Append("\\\\"); break;
                case '`': sb.Append("\\`"); break;
                case '*': sb.Append("\\*"); break;
                case '_': sb.Append("\\_"); break;
                case '[': sb.Append("\\["); break;
                case ']': sb.Append("\\]"); break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }
}
