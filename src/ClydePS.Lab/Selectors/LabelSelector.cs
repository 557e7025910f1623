using ClydePS.Lab.Store;

namespace ClydePS.Lab.Selectors;

/// <summary>
/// A parsed label selector (k8s.io/apimachinery/pkg/labels): equality (<c>=</c>, <c>==</c>, <c>!=</c>),
/// set-based (<c>in</c>, <c>notin</c>), existence (<c>key</c>, <c>!key</c>) and <c>gt</c>/<c>lt</c>.
/// </summary>
public sealed class LabelSelector
{
    enum Op { Equals, NotEquals, In, NotIn, Exists, DoesNotExist, Gt, Lt }
    sealed record Requirement(string Key, Op Op, string[] Values);

    readonly List<Requirement> _reqs;
    LabelSelector(List<Requirement> reqs) => _reqs = reqs;

    public static readonly LabelSelector Everything = new([]);
    public bool IsEmpty => _reqs.Count == 0;

    public bool Matches(IDictionary<string, string>? labels)
    {
        foreach (var r in _reqs)
        {
            string? v = null;
            var has = labels is not null && labels.TryGetValue(r.Key, out v);
            var ok = r.Op switch
            {
                Op.Equals => has && v == r.Values[0],
                Op.In => has && r.Values.Contains(v),
                Op.NotEquals => !has || v != r.Values[0],
                Op.NotIn => !has || !r.Values.Contains(v),
                Op.Exists => has,
                Op.DoesNotExist => !has,
                Op.Gt => has && long.TryParse(v, out var a) && a > long.Parse(r.Values[0]),
                Op.Lt => has && long.TryParse(v, out var b) && b < long.Parse(r.Values[0]),
                _ => false,
            };
            if (!ok) return false;
        }
        return true;
    }

    /// <summary>Parses a selector; throws a 400 BadRequest on a syntax error.</summary>
    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        var reqs = new List<Requirement>();
        var p = new Parser(text);
        while (true)
        {
            p.SkipSpace();
            if (p.End) break;
            reqs.Add(p.Requirement());
            p.SkipSpace();
            if (p.End) break;
            p.Expect(',');
        }
        return new LabelSelector(reqs);
    }

    sealed class Parser(string s)
    {
        int _i;
        public bool End => _i >= s.Length;
        public void SkipSpace() { while (!End && char.IsWhiteSpace(s[_i])) _i++; }
        ApiException Error(string msg) => ApiException.BadRequest($"unable to parse requirement: {msg}");

        public void Expect(char c)
        {
            SkipSpace();
            if (End || s[_i] != c) throw ApiException.BadRequest($"found '{(End ? "" : s[_i].ToString())}', expected: ',' or 'end of string'");
            _i++;
        }

        string Word()
        {
            SkipSpace();
            var start = _i;
            while (!End && !char.IsWhiteSpace(s[_i]) && s[_i] is not (',' or '=' or '!' or '(' or ')' or '<' or '>')) _i++;
            return s[start.._i];
        }

        public Requirement Requirement()
        {
            SkipSpace();
            if (s[_i] == '!')
            {
                _i++;
                var k = Word();
                ValidateKey(k);
                return new(k, Op.DoesNotExist, []);
            }
            var key = Word();
            ValidateKey(key);
            SkipSpace();
            if (End || s[_i] == ',') return new(key, Op.Exists, []);
            if (s[_i] == '=')
            {
                _i++;
                if (!End && s[_i] == '=') _i++;
                return new(key, Op.Equals, [ValidValue(Word())]);
            }
            if (s[_i] == '!' && _i + 1 < s.Length && s[_i + 1] == '=')
            {
                _i += 2;
                return new(key, Op.NotEquals, [ValidValue(Word())]);
            }
            if (s[_i] is '>' or '<')
            {
                var op = s[_i] == '>' ? Op.Gt : Op.Lt;
                _i++;
                var v = Word();
                if (!long.TryParse(v, out _)) throw Error($"for 'Gt', 'Lt' operators, the value must be an integer");
                return new(key, op, [v]);
            }
            var opWord = Word();
            Op setOp = opWord switch
            {
                "in" => Op.In,
                "notin" => Op.NotIn,
                _ => throw ApiException.BadRequest($"found '{opWord}', expected: in, notin, =, ==, !=, gt, lt"),
            };
            SkipSpace();
            if (End || s[_i] != '(') throw ApiException.BadRequest($"found '{(End ? "" : s[_i].ToString())}', expected: '('");
            _i++;
            var values = new List<string>();
            while (true)
            {
                SkipSpace();
                if (End) throw ApiException.BadRequest("found '', expected: ')'");
                if (s[_i] == ')') { _i++; break; }
                values.Add(ValidValue(Word()));
                SkipSpace();
                if (!End && s[_i] == ',') { _i++; continue; }
                if (!End && s[_i] == ')') { _i++; break; }
                throw ApiException.BadRequest($"found '{(End ? "" : s[_i].ToString())}', expected: ',', ')'");
            }
            return new(key, setOp, values.ToArray());
        }

        void ValidateKey(string k)
        {
            if (k.Length == 0) throw Error("key: Invalid value: \"\": name part must be non-empty");
        }

        static string ValidValue(string v) => v;
    }
}
