using System.Globalization;
using System.Net;
using System.Text;

namespace ClydePS.Engine.Report;

/// <summary>
/// Draws timelines (Gantt charts) and metric charts as SVG with presentation attributes only (no CSS, no script), so
/// the same markup works inline in the HTML report and as a standalone .svg file. Every text is escaped.
/// </summary>
public static class SvgTimelineWriter
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public const int Width = 980;
    const int LabelWidth = 230;
    const int RightPad = 24;
    const int RowHeight = 14;
    const int AxisHeight = 44;
    const int LegendHeight = 26;

    /// <summary>The colors of the sources (and of Mixed, Failed, Unknown) in every chart and legend.</summary>
    public static readonly IReadOnlyDictionary<string, string> SourceColors = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["Registry"] = "#d35400",
        ["Peers"] = "#2471a3",
        ["Mixed"] = "#8e44ad",
        ["Unknown"] = "#7f8c8d",
        ["Failed"] = "#1b1b1b",
        ["Unfinished"] = "#b3b6b7",
    };

    static readonly Dictionary<string, string> MarkerColors = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Bound"] = "#27ae60",
        ["Deploy"] = "#34495e",
        ["Rollout"] = "#c0392b",
        ["Wave"] = "#7f8c8d",
        ["Failure"] = "#1b1b1b",
        ["Abort"] = "#c0392b",
    };

    static readonly Dictionary<string, string> VerdictColors = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Healthy"] = "#27ae60",
        ["Unhealthy"] = "#c0392b",
        ["Undecided"] = "#e67e22",
    };

    /// <summary>Escapes text for an SVG/HTML text node or a double-quoted attribute.</summary>
    public static string Escape(string? text) => WebUtility.HtmlEncode(text ?? "");

    public static string ColorOf(string source) => SourceColors.TryGetValue(source, out var c) ? c : "#95a5a6";

    /// <summary>A standalone SVG document: one block per timeline, stacked, on one shared time axis.</summary>
    public static string Document(IReadOnlyList<ReportTimeline> timelines, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(timelines);
        var span = timelines.Select(t => t.Span).DefaultIfEmpty(0).Max();
        var sb = new StringBuilder();
        var blocks = timelines.Select(t => Gantt(t, span, standalone: false)).ToList();
        var heights = timelines.Select(Height).ToList();
        var titleHeight = title is null ? 0 : 30;
        var total = titleHeight + heights.Sum() + 10 * timelines.Count + LegendHeight;
        sb.Append(Inv, $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{total}\" viewBox=\"0 0 {Width} {total}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        sb.Append(Inv, $"<rect x=\"0\" y=\"0\" width=\"{Width}\" height=\"{total}\" fill=\"#ffffff\"/>\n");
        if (title is not null)
        {
            sb.Append(Inv, $"<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">{Escape(title)}</text>\n");
        }
        var y = titleHeight;
        for (var i = 0; i < blocks.Count; i++)
        {
            sb.Append(Inv, $"<g transform=\"translate(0,{y})\">\n").Append(blocks[i]).Append("</g>\n");
            y += heights[i] + 10;
        }
        sb.Append(Inv, $"<g transform=\"translate(0,{y})\">").Append(Legend(timelines.SelectMany(t => t.Rows).SelectMany(r => r.Bars).Select(b => b.Source))).Append("</g>\n");
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    static int Height(ReportTimeline t) => 22 + AxisHeight + Math.Max(1, t.Rows.Count) * RowHeight + 8;

    /// <summary>One timeline as an &lt;svg&gt; element (inline in HTML when not standalone) on a time axis of <paramref name="span"/> seconds.</summary>
    public static string Gantt(ReportTimeline t, double span, bool standalone = true)
    {
        span = NiceSpan(Math.Max(span, t.Span));
        var height = Height(t);
        var plot = Width - LabelWidth - RightPad;
        double X(double s) => LabelWidth + s / span * plot;
        var sb = new StringBuilder();
        if (standalone)
        {
            sb.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"{Width}\" height=\"{height + LegendHeight}\" viewBox=\"0 0 {Width} {height + LegendHeight}\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"{Escape(t.Title)}\">\n");
        }
        sb.Append(Inv, $"<text x=\"10\" y=\"15\" font-size=\"13\" font-weight=\"bold\" class=\"timeline-title\">{Escape(t.Title)}</text>\n");
        var top = 22 + AxisHeight;
        var bottom = top + Math.Max(1, t.Rows.Count) * RowHeight;
        // Axis: ticks at a round step.
        var step = TickStep(span);
        for (var s = 0d; s <= span + 1e-9; s += step)
        {
            var x = X(s);
            sb.Append(Inv, $"<line x1=\"{x:0.#}\" y1=\"{top - 4}\" x2=\"{x:0.#}\" y2=\"{bottom}\" stroke=\"#e5e7e9\"/>");
            sb.Append(Inv, $"<text x=\"{x:0.#}\" y=\"{top - 6}\" text-anchor=\"middle\" fill=\"#566573\">{Escape(RolloutReportBuilder.Time(TimeSpan.FromSeconds(s)))}</text>\n");
        }
        for (var i = 0; i < t.Rows.Count; i++)
        {
            var row = t.Rows[i];
            var y = top + i * RowHeight;
            var sources = string.Join(" ", row.Bars.Select(b => b.Source).Distinct());
            sb.Append(Inv, $"<g class=\"row\" data-node=\"{Escape(row.Label)}\" data-nodes=\"{row.Nodes}\" data-sources=\"{Escape(sources)}\">");
            if (i % 2 == 1)
            {
                sb.Append(Inv, $"<rect x=\"0\" y=\"{y}\" width=\"{Width}\" height=\"{RowHeight}\" fill=\"#f8f9f9\"/>");
            }
            sb.Append(Inv, $"<text x=\"{LabelWidth - 6}\" y=\"{y + RowHeight - 3}\" text-anchor=\"end\" class=\"row-label\">{Escape(Clip(row.Label, 40))}</text>");
            foreach (var b in row.Bars)
            {
                var x1 = X(b.Start);
                var w = Math.Max(1.5, X(b.End) - x1);
                var opacity = b.Phase == "Rollout" ? "0.6" : "1";
                sb.Append(Inv, $"<rect class=\"bar\" data-source=\"{Escape(b.Source)}\" data-phase=\"{Escape(b.Phase)}\" x=\"{x1:0.##}\" y=\"{y + 2}\" width=\"{w:0.##}\" height=\"{RowHeight - 4}\" rx=\"2\" fill=\"{ColorOf(b.Source)}\" fill-opacity=\"{opacity}\"><title>{Escape(b.Detail)}</title></rect>");
            }
            sb.Append("</g>\n");
        }
        // Markers (bounds, deploy, end) over the rows; each label takes the first of three lanes above the axis labels
        // where it does not overlap the previous label (about 5.5 px per character at 10 px).
        var laneEnds = new double[3];
        Array.Fill(laneEnds, double.NegativeInfinity);
        foreach (var m in t.Markers.OrderBy(m => m.Seconds))
        {
            var x = X(Math.Min(m.Seconds, span));
            var color = MarkerColors.TryGetValue(m.Kind, out var c) ? c : "#34495e";
            var label = $"{m.Label} {RolloutReportBuilder.Time(TimeSpan.FromSeconds(m.Seconds))}";
            var width = 5.5 * label.Length;
            var anchor = x + 3 + width > Width - 4 ? "end" : "start";
            var textX = anchor == "end" ? x - 3 : x + 3;
            var (from, to) = anchor == "end" ? (textX - width, textX) : (textX, textX + width);
            var lane = Array.FindIndex(laneEnds, e => e + 4 <= from);
            if (lane < 0)
            {
                // Every lane is taken here: the label moves right of the lane that frees first.
                lane = Array.IndexOf(laneEnds, laneEnds.Min());
                anchor = "start";
                textX = laneEnds[lane] + 6;
                to = textX + width;
            }
            laneEnds[lane] = to;
            var labelY = 28 + 10 * lane;
            sb.Append(Inv, $"<g class=\"marker\" data-kind=\"{Escape(m.Kind)}\"><line x1=\"{x:0.#}\" y1=\"{labelY + 2}\" x2=\"{x:0.#}\" y2=\"{bottom}\" stroke=\"{color}\" stroke-width=\"1.5\" stroke-dasharray=\"5,3\"/>");
            sb.Append(Inv, $"<text x=\"{textX:0.#}\" y=\"{labelY}\" text-anchor=\"{anchor}\" fill=\"{color}\" font-size=\"10\">{Escape(label)}</text></g>\n");
        }
        if (t.Rows.Count == 0)
        {
            sb.Append(Inv, $"<text x=\"{LabelWidth}\" y=\"{top + RowHeight - 3}\" fill=\"#566573\">no pulls</text>\n");
        }
        if (standalone)
        {
            sb.Append(Inv, $"<g transform=\"translate(0,{height})\">").Append(Legend(t.Rows.SelectMany(r => r.Bars).Select(b => b.Source))).Append("</g>\n");
            sb.Append("</svg>\n");
        }
        return sb.ToString();
    }

    static string Legend(IEnumerable<string> sources)
    {
        var sb = new StringBuilder("<g class=\"legend\">");
        var x = 10;
        foreach (var s in sources.Distinct(StringComparer.OrdinalIgnoreCase).OrderBy(s => s, StringComparer.Ordinal))
        {
            sb.Append(Inv, $"<rect x=\"{x}\" y=\"8\" width=\"12\" height=\"10\" fill=\"{ColorOf(s)}\"/><text x=\"{x + 16}\" y=\"17\" class=\"legend-label\">{Escape(s)}</text>");
            x += 30 + 7 * s.Length;
        }
        sb.Append(Inv, $"<text x=\"{x + 10}\" y=\"17\" fill=\"#566573\">dashed lines: bounds (green), deploy, end of the rollout</text>");
        return sb.Append("</g>").ToString();
    }

    /// <summary>A metric over time as an inline &lt;svg&gt;: the values, the threshold (dashed) and decision markers.</summary>
    public static string Metric(MetricSeries m, double span, IReadOnlyList<ReportMarker> markers)
    {
        const int height = 170;
        const int left = 70;
        const int top = 26;
        const int plotHeight = 110;
        span = NiceSpan(Math.Max(span, m.Points.Select(p => p.Seconds).DefaultIfEmpty(0).Max()));
        var max = Math.Max(m.Points.Select(p => p.Value).DefaultIfEmpty(0).Max(), m.Threshold ?? 0);
        max = max <= 0 ? 1 : max * 1.15;
        var plot = Width - left - RightPad;
        double X(double s) => left + s / span * plot;
        double Y(double v) => top + plotHeight - v / max * plotHeight;
        var sb = new StringBuilder();
        sb.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"metric\" data-metric=\"{Escape(m.Name)}\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"{Escape(m.Name)}\">\n");
        sb.Append(Inv, $"<text x=\"10\" y=\"15\" font-size=\"13\" font-weight=\"bold\">{Escape(m.Name)} ({Escape(m.Unit)})</text>\n");
        sb.Append(Inv, $"<rect x=\"{left}\" y=\"{top}\" width=\"{plot}\" height=\"{plotHeight}\" fill=\"none\" stroke=\"#d5d8dc\"/>");
        foreach (var v in new[] { 0, max / 2, max })
        {
            sb.Append(Inv, $"<text x=\"{left - 6}\" y=\"{Y(v) + 4:0.#}\" text-anchor=\"end\" fill=\"#566573\">{v:0.#}</text>");
        }
        var step = TickStep(span);
        for (var s = 0d; s <= span + 1e-9; s += step)
        {
            sb.Append(Inv, $"<text x=\"{X(s):0.#}\" y=\"{top + plotHeight + 14}\" text-anchor=\"middle\" fill=\"#566573\">{Escape(RolloutReportBuilder.Time(TimeSpan.FromSeconds(s)))}</text>");
        }
        sb.Append('\n');
        foreach (var mk in markers)
        {
            var color = MarkerColors.TryGetValue(mk.Kind, out var c) ? c : "#7f8c8d";
            sb.Append(Inv, $"<line class=\"decision\" x1=\"{X(mk.Seconds):0.#}\" y1=\"{top}\" x2=\"{X(mk.Seconds):0.#}\" y2=\"{top + plotHeight}\" stroke=\"{color}\" stroke-dasharray=\"2,3\"><title>{Escape(mk.Label)} at {Escape(RolloutReportBuilder.Time(TimeSpan.FromSeconds(mk.Seconds)))}</title></line>");
        }
        if (m.Threshold is { } th)
        {
            var word = m.HigherIsBetter ? "minimum" : "maximum";
            sb.Append(Inv, $"<g class=\"threshold\"><line x1=\"{left}\" y1=\"{Y(th):0.#}\" x2=\"{left + plot}\" y2=\"{Y(th):0.#}\" stroke=\"#c0392b\" stroke-dasharray=\"6,4\"/>");
            sb.Append(Inv, $"<text x=\"{left + plot - 4}\" y=\"{Y(th) - 4:0.#}\" text-anchor=\"end\" fill=\"#c0392b\">threshold ({word}) {th.ToString("0.##", Inv)} {Escape(m.Unit)}</text></g>\n");
        }
        var pts = m.Points.OrderBy(p => p.Seconds).ToList();
        if (pts.Count > 1)
        {
            sb.Append("<polyline fill=\"none\" stroke=\"#2471a3\" stroke-width=\"1.5\" points=\"");
            sb.AppendJoin(' ', pts.Select(p => string.Create(Inv, $"{X(p.Seconds):0.#},{Y(p.Value):0.#}")));
            sb.Append("\"/>\n");
        }
        foreach (var p in pts)
        {
            var color = VerdictColors.TryGetValue(p.Verdict, out var c) ? c : "#7f8c8d";
            sb.Append(Inv, $"<circle class=\"point\" data-verdict=\"{Escape(p.Verdict)}\" cx=\"{X(p.Seconds):0.#}\" cy=\"{Y(p.Value):0.#}\" r=\"3.5\" fill=\"{color}\"><title>{Escape(p.Kind)} at {Escape(RolloutReportBuilder.Time(TimeSpan.FromSeconds(p.Seconds)))}: {p.Value.ToString("0.##", Inv)} {Escape(m.Unit)} ({Escape(p.Verdict)})</title></circle>");
        }
        sb.Append(Inv, $"<g class=\"legend\" transform=\"translate({left},{height - 10})\"><circle cx=\"4\" cy=\"-4\" r=\"3.5\" fill=\"#27ae60\"/><text x=\"12\" y=\"0\">Healthy</text><circle cx=\"70\" cy=\"-4\" r=\"3.5\" fill=\"#c0392b\"/><text x=\"78\" y=\"0\">Unhealthy</text><circle cx=\"146\" cy=\"-4\" r=\"3.5\" fill=\"#e67e22\"/><text x=\"154\" y=\"0\">Undecided</text><text x=\"230\" y=\"0\" fill=\"#566573\">dotted lines: waves, failures, deploy</text></g>\n");
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    static string Clip(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    static double NiceSpan(double span) => span <= 0 || !double.IsFinite(span) ? 1 : span * 1.02;

    static readonly double[] Steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

    static double TickStep(double span)
    {
        foreach (var s in Steps)
        {
            if (span / s <= 10)
            {
                return s;
            }
        }
        return Math.Ceiling(span / 10 / 86400) * 86400;
    }
}
