using System.Globalization;
using System.Text;

namespace ClydePS.Engine.Report;

/// <summary>
/// Writes a <see cref="RolloutReport"/> as one self-contained HTML file: inline CSS and inline SVG, no script, no
/// external asset. Every string from the input is HTML-escaped.
/// </summary>
public static class HtmlReportWriter
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    const string Css = """
        body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; margin: 24px; color: #1c2833; max-width: 1100px; }
        h1 { font-size: 22px; margin-bottom: 4px; }
        h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #d5d8dc; padding-bottom: 4px; }
        h3 { font-size: 15px; margin-top: 20px; }
        p.meta, p.note { color: #566573; font-size: 13px; }
        table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
        th, td { border: 1px solid #d5d8dc; padding: 3px 8px; text-align: left; vertical-align: top; }
        th { background: #f2f3f4; }
        table.summary th { width: 220px; }
        td.num { text-align: right; }
        svg { display: block; margin: 8px 0; max-width: 100%; height: auto; }
        .legend-swatch { display: inline-block; width: 12px; height: 10px; margin: 0 4px 0 12px; }
        """;

    public static string Write(RolloutReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        var e = (Func<string?, string>)SvgTimelineWriter.Escape;
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        sb.Append("<meta name=\"generator\" content=\"ClydePS Export-ClydeRolloutReport\">\n");
        sb.Append("<title>").Append(e(report.Title)).Append("</title>\n<style>\n").Append(Css).Append("\n</style>\n</head>\n<body>\n");
        sb.Append("<h1>").Append(e(report.Title)).Append("</h1>\n");
        sb.Append("<p class=\"meta\">Generated ").Append(e(report.Generated.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", Inv)))
            .Append(" by ClydePS Export-ClydeRolloutReport. Times count from the start of the run.</p>\n");

        sb.Append("<section id=\"summary\">\n<h2>Summary</h2>\n");
        foreach (var (name, table) in report.Overview)
        {
            sb.Append("<h3>").Append(e(name)).Append("</h3>\n");
            Table(sb, table, "overview");
        }
        sb.Append("</section>\n");

        // Forecast timelines share one time axis, so strategies compare at a glance.
        var forecastSpan = report.Sections.Where(s => s.Id.StartsWith("forecast-", StringComparison.Ordinal) && s.Timeline is not null)
            .Select(s => s.Timeline!.Span).DefaultIfEmpty(0).Max();
        foreach (var section in report.Sections)
        {
            sb.Append("<section id=\"").Append(e(section.Id)).Append("\">\n<h2>").Append(e(section.Title)).Append("</h2>\n");
            sb.Append("<table class=\"summary\">\n");
            foreach (var (key, value) in section.Summary)
            {
                sb.Append("<tr><th>").Append(e(key)).Append("</th><td>").Append(e(value)).Append("</td></tr>\n");
            }
            sb.Append("</table>\n");
            if (section.Timeline is { } t)
            {
                sb.Append("<h3>Per-node timeline</h3>\n");
                var span = section.Id.StartsWith("forecast-", StringComparison.Ordinal) ? forecastSpan : t.Span;
                sb.Append(SvgTimelineWriter.Gantt(t, span));
            }
            foreach (var note in section.Notes)
            {
                sb.Append("<p class=\"note\">").Append(e(note)).Append("</p>\n");
            }
            if (section.Metrics.Count > 0)
            {
                sb.Append("<h3>Monitor metrics over time</h3>\n");
                foreach (var m in section.Metrics)
                {
                    sb.Append(SvgTimelineWriter.Metric(m, section.MetricSpan, section.MetricMarkers));
                }
            }
            foreach (var (name, table) in section.Tables)
            {
                sb.Append("<h3>").Append(e(name)).Append("</h3>\n");
                Table(sb, table, name.ToLowerInvariant().Replace(' ', '-'));
            }
            sb.Append("</section>\n");
        }
        sb.Append("</body>\n</html>\n");
        return sb.ToString();
    }

    static void Table(StringBuilder sb, ReportTable table, string cssClass)
    {
        var e = (Func<string?, string>)SvgTimelineWriter.Escape;
        sb.Append("<table class=\"").Append(e(cssClass)).Append("\">\n<tr>");
        foreach (var h in table.Headers)
        {
            sb.Append("<th>").Append(e(h)).Append("</th>");
        }
        sb.Append("</tr>\n");
        foreach (var row in table.Rows)
        {
            sb.Append("<tr>");
            foreach (var cell in row)
            {
                sb.Append("<td>").Append(e(cell)).Append("</td>");
            }
            sb.Append("</tr>\n");
        }
        sb.Append("</table>\n");
        if (table.Omitted > 0)
        {
            sb.Append("<p class=\"note\">").Append(table.Omitted.ToString("N0", Inv)).Append(" more row(s) not shown (the row limit).</p>\n");
        }
    }
}
