<#
.SYNOPSIS
    The seeding benchmark over Invoke-ClydeSeedSimulation (run by ./build.ps1 Bench).
.DESCRIPTION
    Scenario 1: the Clyde experiment (32 private nodes behind a NAT that is not the bottleneck, P2P, 18.6 GB, registry
    bandwidth calibrated so Direct takes about 110 min, nodes 250 MB/s) in layering (a) (the default AI-image layering:
    one ~15.5 GB weights layer plus base layers) and (b) (the same bytes in 40 equal layers), every strategy the
    simulator offers (Invoke-ClydeSeedSimulation -Strategy's set, so a newly registered policy is included) and both
    lower bounds, checked against the issue's targets. Scenario 2: 1,000 and 5,000 nodes, private and mixed, P2P.
    Scenario 3: a sweep of registry bandwidth against node bandwidth, showing which strategy wins where.
    The forecasts are virtual time and deterministic; the wall times (median of -Runs runs) are the simulator's own cost
    on a shared machine, never asserted in tests. Writes bench/results/Simulation.md, the per-node timelines of
    scenario 1 as bench/results/scenario1-timelines.svg (layering a) and scenario1b-timelines.svg (layering b), and
    the HTML report of scenario 1 (a) as bench/results/scenario1-report.html, all drawn by Export-ClydeRolloutReport.
#>
param([Parameter(Mandatory)] [string] $ModuleManifest, [int] $Runs = 3)

$ErrorActionPreference = 'Stop'
Import-Module $ModuleManifest -Force
$results = Join-Path $PSScriptRoot 'results'
$null = New-Item -ItemType Directory -Force $results

# Every strategy the simulator offers (a policy registered there appears here without editing this script).
$strategyParameter = (Get-Command Invoke-ClydeSeedSimulation).Parameters['Strategy']
$strategies = @($strategyParameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } |
        ForEach-Object ValidValues | Where-Object { $_ -ne 'All' })
$classic = 'Direct', 'Doubling', 'Adaptive'
$newPolicies = @($strategies | Where-Object { $_ -notin $classic })

$clydeRegistry = 32 * 18.6 * 1024 / 6600   # Direct = N*S/R = 110 min
$equal40 = @(1..40 | ForEach-Object { 18.6 * 1024 / 40 })
$clydeA = @{ NodeCount = 32; ImageSizeGB = 18.6; RegistryBandwidthMBps = $clydeRegistry; NodeBandwidthMBps = 250; NatBandwidthMBps = 10000; P2P = $true }
$clydeB = @{ NodeCount = 32; LayerSizesMB = $equal40; RegistryBandwidthMBps = $clydeRegistry; NodeBandwidthMBps = 250; NatBandwidthMBps = 10000; P2P = $true }
$scenario1 = @(
    @{ Name = '1 (a) Clyde: 32 private nodes, 18.6 GB default layering, P2P'; Key = 'a'; Args = $clydeA }
    @{ Name = '1 (b) Clyde: 32 private nodes, 18.6 GB in 40 equal layers, P2P'; Key = 'b'; Args = $clydeB }
)
$scenario2 = @(
    @{ Name = '2: 1,000 private nodes, 20 GB, P2P'; Args = @{ NodeCount = 1000; ImageSizeGB = 20; RegistryBandwidthMBps = 500; NodeBandwidthMBps = 250; NatBandwidthMBps = 1000; P2P = $true } }
    @{ Name = '2: 1,000 mixed nodes (30 % public), 20 GB, P2P'; Args = @{ NodeCount = 1000; PublicRatio = 0.3; ImageSizeGB = 20; RegistryBandwidthMBps = 500; NodeBandwidthMBps = 250; NatBandwidthMBps = 1000; P2P = $true } }
    @{ Name = '2: 5,000 private nodes, 20 GB, P2P'; Args = @{ NodeCount = 5000; ImageSizeGB = 20; RegistryBandwidthMBps = 500; NodeBandwidthMBps = 250; NatBandwidthMBps = 1000; P2P = $true } }
    @{ Name = '2: 5,000 mixed nodes (30 % public), 20 GB, P2P'; Args = @{ NodeCount = 5000; PublicRatio = 0.3; ImageSizeGB = 20; RegistryBandwidthMBps = 500; NodeBandwidthMBps = 250; NatBandwidthMBps = 1000; P2P = $true } }
)

function Median([double[]] $v) { $s = $v | Sort-Object; $s[[int][math]::Floor($s.Count / 2)] }
function Format-Span($t) { if ($null -eq $t) { 'aborted' } elseif ($t.Days -gt 0) { $t.ToString('d\.hh\:mm\:ss') } else { $t.ToString('hh\:mm\:ss') } }
function Measure-Strategy([hashtable] $a, [string] $strategy) {
    $forecast = $null
    $times = foreach ($i in 1..$Runs) {
        (Measure-Command { $script:forecast = Invoke-ClydeSeedSimulation @a -Strategy $strategy }).TotalMilliseconds
    }
    [pscustomobject]@{ Forecast = $script:forecast; WallMs = [math]::Round((Median $times)) }
}
function Row([string] $scenario, $m) {
    $f = $m.Forecast
    [pscustomobject]@{
        Scenario   = $scenario
        Strategy   = $f.Strategy
        WallMs     = $m.WallMs
        Seeding    = Format-Span $f.SeedingTime
        Rollout    = Format-Span $f.RolloutTime
        RegistryGB = '{0:0.0}' -f $f.RegistryGB
        Waves      = $f.WaveCount
        PieceBound = Format-Span $f.PieceLowerBound
        LayerBound = Format-Span $f.LayerLowerBound
        xBound     = '{0:0.00}' -f $f.BoundRatio
    }
}
function Table-Lines($rows) {
    '| scenario | strategy | wall ms | seeding | rollout | registry GB | waves | piece bound | layer bound | x bound |'
    '|---|---|---|---|---|---|---|---|---|---|'
    $rows | ForEach-Object { "| $($_.Scenario) | $($_.Strategy) | $($_.WallMs) | $($_.Seeding) | $($_.Rollout) | $($_.RegistryGB) | $($_.Waves) | $($_.PieceBound) | $($_.LayerBound) | $($_.xBound) |" }
}

$null = Invoke-ClydeSeedSimulation -NodeCount 4 -ImageSizeGB 1 -RegistryBandwidthMBps 100 -P2P   # warm-up (JIT)

# ------------------------------------------------------------ scenario 1
$s1Forecasts = @{}
$s1Rows = [Collections.Generic.List[object]]::new()
foreach ($sc in $scenario1) {
    $s1Forecasts[$sc.Key] = @(foreach ($strategy in $strategies) {
            $m = Measure-Strategy $sc.Args $strategy
            $s1Rows.Add((Row $sc.Name $m))
            $m.Forecast
        })
}
$s1Rows | Format-Table -AutoSize | Out-String -Width 220 | Write-Host

$s1Forecasts.a | Export-ClydeRolloutReport -Path (Join-Path $results 'scenario1-timelines.svg') -Format Svg -Title 'Scenario 1 (a): the Clyde experiment, 32 nodes, 18.6 GB default layering: per-node pulls by strategy'
$s1Forecasts.b | Export-ClydeRolloutReport -Path (Join-Path $results 'scenario1b-timelines.svg') -Format Svg -Title 'Scenario 1 (b): the Clyde experiment, 32 nodes, 18.6 GB in 40 equal layers: per-node pulls by strategy'
$s1Forecasts.a | Export-ClydeRolloutReport -Path (Join-Path $results 'scenario1-report.html') -Title 'Scenario 1 (a): the Clyde experiment (32 nodes, 18.6 GB, default layering)'

# What a longer planner search, or planning with no margin for a slower registry, would buy on (b): the planner's own
# budget and margin, run in a process of its own (bench/PlannerSearch.ps1 loads the engine assembly directly).
$searchBudgets = 2000000, 16000000, 64000000
$pwsh = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })   # this PowerShell (the process may be dotnet running pwsh.dll)
$engineDll = Join-Path (Split-Path $ModuleManifest) 'Dependencies/ClydePS.Engine.dll'
$searchScript = Join-Path $PSScriptRoot 'PlannerSearch.ps1'
$searchJson = & $pwsh -NoProfile -NonInteractive -Command "& '$searchScript' -EngineDll '$engineDll' -RegistryMBps $($clydeRegistry.ToString('R', [cultureinfo]::InvariantCulture)) -Budgets $($searchBudgets -join ',') -Margins 0.05,0 | ConvertTo-Json -Compress"
if ($LASTEXITCODE -ne 0) { throw "bench/PlannerSearch.ps1 failed: $searchJson" }
$searchRows = @($searchJson | ConvertFrom-Json)
$pipelinedB = $s1Forecasts.b | Where-Object Strategy -eq 'Pipelined'
$searchLines = @(
    '| planner margin | search budget (node-layer units) | schedules tried | planner wall s | seeding | rollout | x piece bound | x layer bound |'
    '|---|---|---|---|---|---|---|---|'
    foreach ($r in $searchRows) {
        '| {0:0} % | {1:N0}{2} | {3:N0} | {4:0.0} | {5:0.0} s | {6:0.0} s | {7:0.000} | {8:0.000} |' -f ($r.Margin * 100), $r.Budget,
            $(if ($r.Budget -eq 2000000 -and $r.Margin -eq 0.05) { ' (what the cmdlets use)' } else { '' }), $r.Evaluations, $r.WallSeconds,
            $r.Seeding, $r.Rollout, ($r.Rollout / $pipelinedB.PieceLowerBound.TotalSeconds), ($r.Rollout / $pipelinedB.LayerLowerBound.TotalSeconds)
    }
)
$searchLines | Write-Host

# Larger clusters on (b)'s image and network: the planner plans the first 64 followers and the rules start the rest,
# against the rules alone (a zero budget) and Doubling.
$largeLines = @(
    '| nodes | stop ratio | Doubling | Pipelined, rules alone | Pipelined, first 64 followers planned | planned / rules | planner wall s |'
    '|---|---|---|---|---|---|---|'
    foreach ($n in 100, 200) {
        foreach ($stop in 1, 0.5) {
            $json = & $pwsh -NoProfile -NonInteractive -Command "& '$searchScript' -EngineDll '$engineDll' -RegistryMBps $($clydeRegistry.ToString('R', [cultureinfo]::InvariantCulture)) -Budgets 0,2000000 -Margins 0.05 -NodeCount $n -StopRatio $($stop.ToString([cultureinfo]::InvariantCulture)) | ConvertTo-Json -Compress"
            if ($LASTEXITCODE -ne 0) { throw "bench/PlannerSearch.ps1 failed: $json" }
            $rules, $planned = @($json | ConvertFrom-Json)
            $large = $clydeB.Clone(); $large.NodeCount = $n
            $doubling = Invoke-ClydeSeedSimulation @large -Strategy Doubling -StopRatio $stop
            '| {0} | {1} | {2:0} s | {3:0} s | {4:0} s | {5:0.00} | {6:0.0} |' -f $n, $stop, $doubling.RolloutTime.TotalSeconds, $rules.Rollout, $planned.Rollout,
                ($planned.Rollout / $rules.Rollout), $planned.WallSeconds
        }
    }
)
$largeLines | Write-Host

# What a registry slower or faster than given does to a plan: scenario 1 (b) planned for the Clyde registry rate with
# the planner's margin (5 %) and with wider ones, run on networks whose registry is 75 % to 130 % of it.
$factors = 0.75, 0.9, 1, 1.1, 1.3
$actualRates = @($factors | ForEach-Object { ($clydeRegistry * $_).ToString('R', [cultureinfo]::InvariantCulture) }) -join ','
$robustJson = & $pwsh -NoProfile -NonInteractive -Command "& '$searchScript' -EngineDll '$engineDll' -RegistryMBps $($clydeRegistry.ToString('R', [cultureinfo]::InvariantCulture)) -Budgets 2000000 -Margins 0.05,0.15,0.25 -ActualRegistryMBps $actualRates | ConvertTo-Json -Compress"
if ($LASTEXITCODE -ne 0) { throw "bench/PlannerSearch.ps1 failed: $robustJson" }
$robustLines = @(
    '| planner margin | registry, of the rate given | Pipelined with the plan | registry GB | Pipelined, rules alone |'
    '|---|---|---|---|---|'
    foreach ($r in @($robustJson | ConvertFrom-Json)) {
        '| {0:0} %{1} | {2:0} % ({3:0.#} MB/s) | {4:0} s | {5:0.0} | {6:0} s |' -f ($r.Margin * 100), $(if ($r.Margin -eq 0.05) { ' (the cmdlets)' } else { '' }),
            ($r.Actual / $clydeRegistry * 100), $r.Actual, $r.Planned, $r.PlannedRegistryGB, $r.Rules
    }
)
$robustLines | Write-Host

# The issue's targets: the new policy <= 0.65x Doubling on (a), <= 0.5x on (b), <= 1.3x the piece bound on (b).
function Rollout-Seconds($f) { if ($f.RolloutTime) { $f.RolloutTime.TotalSeconds } else { [double]::PositiveInfinity } }
$targetLines = if ($newPolicies.Count -eq 0) {
    , '- No policy besides Direct, Doubling and Adaptive is registered in this build, so the targets for a new policy are not evaluated.'
}
else {
    '| policy | target | value | met |'
    '|---|---|---|---|'
    foreach ($p in $newPolicies) {
        $a = $s1Forecasts.a | Where-Object Strategy -eq $p
        $b = $s1Forecasts.b | Where-Object Strategy -eq $p
        $da = $s1Forecasts.a | Where-Object Strategy -eq 'Doubling'
        $db = $s1Forecasts.b | Where-Object Strategy -eq 'Doubling'
        $ra = (Rollout-Seconds $a) / (Rollout-Seconds $da)
        $rb = (Rollout-Seconds $b) / (Rollout-Seconds $db)
        $xb = (Rollout-Seconds $b) / $b.PieceLowerBound.TotalSeconds
        "| $p | rollout <= 0.65 x Doubling on (a) | {0:0.00} x | $(if ($ra -le 0.65) { 'yes' } else { 'no' }) |" -f $ra
        "| $p | rollout <= 0.5 x Doubling on (b) | {0:0.00} x | $(if ($rb -le 0.5) { 'yes' } else { 'no' }) |" -f $rb
        "| $p | rollout <= 1.3 x piece bound on (b) | {0:0.00} x | $(if ($xb -le 1.3) { 'yes' } else { 'no' }) |" -f $xb
    }
}
$directA = $s1Forecasts.a | Where-Object Strategy -eq 'Direct'
$doublingA = $s1Forecasts.a | Where-Object Strategy -eq 'Doubling'

# ------------------------------------------------------------ scenario 2
$s2Rows = foreach ($sc in $scenario2) {
    foreach ($strategy in $strategies) { Row $sc.Name (Measure-Strategy $sc.Args $strategy) }
}
$s2Rows | Format-Table -AutoSize | Out-String -Width 220 | Write-Host

# ------------------------------------------------------------ scenario 3
# 64 private nodes, 10 GB default layering, P2P, NAT not a constraint; registry x node bandwidth.
$registrySweep = 100, 300, 1000, 3000, 10000
$nodeSweep = 50, 250, 1000
$sweep = foreach ($r in $registrySweep) {
    foreach ($n in $nodeSweep) {
        $a = @{ NodeCount = 64; ImageSizeGB = 10; RegistryBandwidthMBps = $r; NodeBandwidthMBps = $n; NatBandwidthMBps = 100000; P2P = $true }
        $fs = @(foreach ($strategy in $strategies) { Invoke-ClydeSeedSimulation @a -Strategy $strategy })
        $best = $fs | Sort-Object { Rollout-Seconds $_ } | Select-Object -First 1
        [pscustomobject]@{
            Registry = $r; Node = $n; Winner = $best.Strategy; Best = Format-Span $best.RolloutTime
            Times = ($fs | ForEach-Object { "$($_.Strategy) $(Format-Span $_.RolloutTime)" }) -join ', '
            Bound = Format-Span $fs[0].PieceLowerBound; xBound = '{0:0.00}' -f $best.BoundRatio
        }
    }
}
$sweep | Format-Table -AutoSize | Out-String -Width 220 | Write-Host
$grid = @(
    '| registry MB/s \ node MB/s | ' + (($nodeSweep | ForEach-Object { "$_" }) -join ' | ') + ' |'
    '|---|' + (($nodeSweep | ForEach-Object { '---' }) -join '|') + '|'
    foreach ($r in $registrySweep) {
        "| $r | " + (($nodeSweep | ForEach-Object { $n = $_; $c = $sweep | Where-Object { $_.Registry -eq $r -and $_.Node -eq $n }; "$($c.Winner) ($($c.Best), $($c.xBound) x bound)" }) -join ' | ') + ' |'
    }
)

$md = @(
    '# Seeding benchmark (Invoke-ClydeSeedSimulation)', ''
    "Command: ``./bench/Simulation.Bench.ps1 -ModuleManifest out/ClydePS/$((Import-PowerShellDataFile $ModuleManifest).ModuleVersion)/ClydePS.psd1`` (part of ``dotnet pwsh ./build.ps1 Bench``) on $([Environment]::ProcessorCount) cores, $((Get-Date).ToUniversalTime().ToString('yyyy-MM-dd HH:mm')) UTC. Strategies: $($strategies -join ', ') (the simulator's whole set). Forecasts are virtual time and deterministic (seed 1); wall ms is the median of $Runs runs of one strategy on a shared machine.", ''
    '## Scenario 1: the Clyde experiment', ''
    "32 private nodes behind a NAT gateway that is not the bottleneck (10,000 MB/s), P2P on, 18.6 GB, nodes 250 MB/s, registry $('{0:0.##}' -f $clydeRegistry) MB/s (so that Direct = N·S/R = 110 min). Layering (a): the default AI-image layering (3 % base, 8 % runtime, 5 % packages, 83 % weights = 15.4 GB, 1 % app); (b): the same bytes in 40 equal layers. Clyde's published numbers: about 110 min direct, about 12 min with its seeding.", ''
) + (Table-Lines $s1Rows) + @(
    ''
    "Direct on (a): $(Format-Span $directA.RolloutTime) ($('{0:0.0}' -f ((Rollout-Seconds $directA) / 60 / 110 * 100 - 100)) % from 110 min). Doubling on (a): $(Format-Span $doublingA.RolloutTime) ($('{0:0.00}' -f ((Rollout-Seconds $doublingA) / 720)) x Clyde's 12 min).", ''
    '### Targets for a new policy', ''
) + $targetLines + @(
    ''
    'Per-node timelines, one block per strategy (Export-ClydeRolloutReport -Format Svg; all blocks share one time axis; color = source, dashed = bounds, deploy, end):', ''
    '![Scenario 1 (a) timelines](scenario1-timelines.svg)', ''
    '![Scenario 1 (b) timelines](scenario1b-timelines.svg)', ''
    'The full HTML report of scenario 1 (a): [scenario1-report.html](scenario1-report.html).', ''
    '### Pipelined on (b) with a longer planner search, or no margin', ''
    'The planner (src/ClydePS.Engine/Seeding/Simulation/StartSchedulePlanner.cs) searches follower start times within a budget and plans against a registry 5 % slower than given. The same forecast with 8 and 32 times the budget, and with no margin (which a real registry slower than measured would punish: followers would fetch layers from it a second time), from `bench/PlannerSearch.ps1`:', ''
) + $searchLines + @(
    ''
    'A layer-level mirror serves complete layers only, containerd asks for them in order, 3 at a time, and each download keeps the source it started with; followers can only be told when to start. Within those rules, 32 times the search moves the rollout by a few seconds; most of the rest is the 5 % margin, and only without it does a long search come near 1.3 x the piece bound, which assumes pieces shared while they arrive (Dragonfly-like). The cmdlets keep the margin: a registry slower than measured would otherwise make followers fetch layers from it a second time. The layer bound adds what whole-layer sharing costs at least: the last layer to get its first copy must still fan out.', ''
    '### Pipelined on (b) at 100 and 200 nodes', ''
    'The same image, registry and node bandwidths on larger clusters. The planner plans the first 64 followers (a bounded search: with that many followers the budget pays for a coarser group grid, then the finer searches), the policy''s rules start the rest once the plan is used up, and the faster of planned and unplanned in the full simulation is kept. From `bench/PlannerSearch.ps1` (budget 0: the rules alone) and Invoke-ClydeSeedSimulation (Doubling):', ''
) + $largeLines + @(
    ''
    '### A registry slower or faster than given', ''
    'Scenario 1 (b) planned for the registry rate given (92.4 MB/s), with the planner''s 5 % margin and with wider ones, then run on networks whose registry has 75 % to 130 % of that rate, against the rules alone on the same network (`bench/PlannerSearch.ps1 -ActualRegistryMBps`). A registry slower than the margin allows makes followers catch up with the first copy and fetch layers from the registry again (registry GB above the image''s 18.6); a faster one leaves the plan''s starts later than they could be.', ''
) + $robustLines + @(
    ''
    '## Scenario 2: 1,000 and 5,000 nodes, private and mixed, P2P', ''
    'Registry 500 MB/s, NAT 1,000 MB/s (the private nodes'' one gateway), nodes 250 MB/s, 20 GB default layering.', ''
) + (Table-Lines $s2Rows) + @(
    ''
    '## Scenario 3: registry bandwidth against node bandwidth', ''
    '64 private nodes, 10 GB default layering, P2P on, NAT not a constraint. Each cell: the strategy with the shortest rollout, its rollout time and its ratio to the piece-level bound.', ''
) + $grid + @(
    ''
    '| registry MB/s | node MB/s | piece bound | rollout per strategy |'
    '|---|---|---|---|'
) + ($sweep | ForEach-Object { "| $($_.Registry) | $($_.Node) | $($_.Bound) | $($_.Times) |" })
$md | Set-Content (Join-Path $results 'Simulation.md')
Write-Host "Wrote $(Join-Path $results 'Simulation.md'), scenario1-timelines.svg, scenario1b-timelines.svg and scenario1-report.html"
