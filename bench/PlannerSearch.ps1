<#
.SYNOPSIS
    Scenario 1 (b) forecasts with the start planner given more search or no margin (run by Simulation.Bench.ps1 in a
    process of its own: it loads the engine assembly directly, which the module keeps in a load context of its own).
.DESCRIPTION
    Emits one object per margin and budget: the Pipelined forecast's seeding and rollout seconds when the planner may try
    Budget node-layer units of schedules (the cmdlets use the default; 0 plans nothing: the policy's rules alone) and
    plans against a registry Margin slower than given (the cmdlets use 5 %), and how many schedules it tried, on
    NodeCount private nodes (32: the Clyde experiment) seeded up to StopRatio. Forecasts are virtual time and deterministic.
    With ActualRegistryMBps, each plan (made for RegistryMBps) is instead run on networks whose registry has each of those
    rates, against the rules alone on the same network: what a registry slower or faster than given does to a plan.
#>
param([Parameter(Mandatory)] [string] $EngineDll, [Parameter(Mandatory)] [double] $RegistryMBps, [long[]] $Budgets, [double[]] $Margins,
    [int] $NodeCount = 32, [double] $StopRatio = 1, [double[]] $ActualRegistryMBps)

$ErrorActionPreference = 'Stop'
Add-Type -Path $EngineDll
$size = [long](18.6 * 1024 / 40 * 1MB)   # Invoke-ClydeSeedSimulation -LayerSizesMB: 40 equal layers of 18.6 GB
$layers = [System.Collections.Generic.List[ClydePS.Engine.Transfer.TransferLayer]]::new()
foreach ($i in 1..40) { $layers.Add([ClydePS.Engine.Transfer.TransferLayer]::new(('sha256:{0:x64}' -f $i), $size)) }
$policy = [ClydePS.Engine.Seeding.SeedPolicyOptions]@{ PipelinedStopRatio = $StopRatio }
$in = [ClydePS.Engine.Seeding.Simulation.SeedSimulationInput]@{
    Nodes                 = [ClydePS.Engine.Seeding.Simulation.SeedSimulationInput]::MakeNodes($NodeCount, 0)
    Layers                = $layers
    RegistryBandwidthMBps = $RegistryMBps
    NodeBandwidthMBps     = 250
    NatBandwidthMBps      = 10000
    PeerToPeer            = $true
    Policy                = $policy
}
foreach ($m in $Margins) {
    foreach ($b in $Budgets) {
        if ($ActualRegistryMBps) {
            $schedule = [ClydePS.Engine.Seeding.Simulation.SeedSimulator]::PlanStarts($in, $policy, $b, $m)
            foreach ($actual in $ActualRegistryMBps) {
                $on = [ClydePS.Engine.Seeding.Simulation.SeedSimulationInput]@{
                    Nodes = $in.Nodes; Layers = $in.Layers; RegistryBandwidthMBps = $actual; NodeBandwidthMBps = $in.NodeBandwidthMBps
                    NatBandwidthMBps = $in.NatBandwidthMBps; PeerToPeer = $true; Policy = $policy
                }
                $planned = [ClydePS.Engine.Seeding.Simulation.SeedSimulator]::RunPipelined($on, $policy, $schedule)
                $rules = [ClydePS.Engine.Seeding.Simulation.SeedSimulator]::RunPipelined($on, $policy, $null)
                [pscustomobject]@{
                    Margin         = $m
                    Actual         = $actual
                    Planned        = $planned.RolloutTime.TotalSeconds
                    PlannedRegistryGB = $planned.RegistryBytes / 1GB
                    Rules          = $rules.RolloutTime.TotalSeconds
                }
            }
            continue
        }
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $r = [ClydePS.Engine.Seeding.Simulation.SeedSimulator]::ChooseStarts($in, $policy, $b, $m)
        [pscustomobject]@{
            Margin      = $m
            Budget      = $b
            Evaluations = if ($r.Item1) { $r.Item1.Evaluations } else { 0 }
            Seeding     = $r.Item2.SeedingTime.TotalSeconds
            Rollout     = $r.Item2.RolloutTime.TotalSeconds
            WallSeconds = $sw.Elapsed.TotalSeconds
        }
    }
}
