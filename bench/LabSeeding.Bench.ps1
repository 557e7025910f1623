<#
.SYNOPSIS
    Seeding on the Lab over HTTP (run by ./build.ps1 Bench): API cost at 1,000 nodes, and the simulator against the Lab.
.DESCRIPTION
    1. API requests and bytes per seeded node: a 1,000-node private Lab with P2P, Start-ClydeSeed (the default strategy) then
       New-ClydeDaemonSet -Wait with the seed result, counted by the Lab's request counters (/clydelab/v1/stats).
    2. The simulator against the Lab on one small scenario (24 private nodes behind a NAT, P2P, a 4 GiB image in 6
       layers): the seeded rollout's Lab time (seeding start to DaemonSet available) for each strategy, next to
       Invoke-ClydeSeedSimulation's forecast for the same nodes (piped from Get-ClydeNodeNetwork) and bandwidths.
    Lab time throughout, so the numbers do not depend on this machine's load. Writes bench/results/LabSeeding.md.
#>
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [int] $NodeCount = 1000,
    [double] $TimeScale = 20
)

$ErrorActionPreference = 'Stop'
Import-Module $ModuleManifest -Force
$rows = [Collections.Generic.List[string]]::new()

function New-ClusterFile([int] $nodes, [string] $image, [string] $size) {
    $path = Join-Path ([IO.Path]::GetTempPath()) "clydeps-bench-seed-$PID-$nodes.json"
    @{
        seed       = 7
        nodeGroups = @(@{ count = $nodes; publicRatio = 0; zones = @('z-a', 'z-b') })
        network    = @{ registryBandwidthMBps = 500; natBandwidthMBps = 250; nodeBandwidthMBps = 100; p2p = $true }
        images     = @(@{ reference = $image; size = $size; layerCount = 6; platforms = @('linux/amd64') })
    } | ConvertTo-Json -Depth 5 | Set-Content $path
    $path
}
function Get-Stats($lab) {
    $h = @{ Authorization = "Bearer $((Get-Content -Raw (Join-Path $lab.StateDirectory 'token')).Trim())" }
    Invoke-RestMethod -Uri "$($lab.Url)/clydelab/v1/stats" -Headers $h
}
function Reset-Stats($lab) {
    $h = @{ Authorization = "Bearer $((Get-Content -Raw (Join-Path $lab.StateDirectory 'token')).Trim())" }
    $null = Invoke-RestMethod -Method Post -Uri "$($lab.Url)/clydelab/v1/stats/reset" -Headers $h
}
function Wait-MirrorReady($lab) {
    $h = @{ Authorization = "Bearer $((Get-Content -Raw (Join-Path $lab.StateDirectory 'token')).Trim())" }
    $deadline = [DateTime]::UtcNow.AddMinutes(5)
    do { $ds = Invoke-RestMethod -Uri "$($lab.Url)/apis/apps/v1/namespaces/kube-system/daemonsets/spegel" -Headers $h }
    until (($ds.status.desiredNumberScheduled -gt 0 -and $ds.status.numberReady -eq $ds.status.desiredNumberScheduled) -or [DateTime]::UtcNow -gt $deadline -or (Start-Sleep -Milliseconds 500))
}

# ---- 1. API cost at scale ----
$image = 'example.com/llm/server:v1'
$cluster = New-ClusterFile $NodeCount $image '1Gi'
$lab = Start-ClydeLab -ClusterFile $cluster -TimeScale $TimeScale
try {
    Wait-MirrorReady $lab
    $kube = $lab.KubeconfigPath
    Reset-Stats $lab
    $seed = Start-ClydeSeed -Kubeconfig $kube -Image $image -DaemonSetName bench -Timeout 2h
    $seedStats = Get-Stats $lab
    $afterSeed = $seedStats.total
    Reset-Stats $lab
    $ds = $seed | New-ClydeDaemonSet -Kubeconfig $kube -Name bench -Image $image -Wait -Timeout 2h
    $dsStats = Get-Stats $lab
    $afterDs = $dsStats.total
    $rows.Add("## API cost of a seeded rollout on a $NodeCount-node Lab")
    $rows.Add('')
    $rows.Add("Private nodes behind a NAT, P2P on, a 1 GiB image; ``Start-ClydeSeed`` with its default strategy ($($seed.Strategy)), then ``New-ClydeDaemonSet -Wait`` with the seed result. Requests counted by the Lab (``/clydelab/v1/stats``).")
    $rows.Add('')
    $per = [Math]::Max(1, $seed.Seeded)
    $row = { param($name, $requests, $sent, $received)
        '| {0} | {1} | {2} | {3:0.00} | {4:0.0} | {5:0.0} |' -f $name, $requests, $seed.Seeded, ($requests / $per), ($sent / $per / 1KB), ($received / $per / 1KB) }
    $rows.Add('| step | requests | seeded nodes | requests per seeded node | KiB sent per seeded node | KiB received per seeded node |')
    $rows.Add('|---|---|---|---|---|---|')
    $rows.Add((& $row 'Start-ClydeSeed' $afterSeed $seedStats.requestBytes $seedStats.responseBytes))
    $rows.Add((& $row 'New-ClydeDaemonSet -Wait (releases the seed pods)' $afterDs $dsStats.requestBytes $dsStats.responseBytes))
    $rows.Add((& $row 'both' ($afterSeed + $afterDs) ($seedStats.requestBytes + $dsStats.requestBytes) ($seedStats.responseBytes + $dsStats.responseBytes)))
    $rows.Add('')
    $rows.Add('Sent: API request bodies; received: API response bodies, watch streams included (the Lab counts bodies, not headers).')
    $rows.Add('')
    $rows.Add(("DaemonSet: {0} of {1} available. The wall time of ``Get-ClydeNodeNetwork`` at 5,000 nodes is in ``bench/results/NodeNetwork.md``." -f $ds.Available, $ds.Desired))
    $rows.Add('')
}
finally { $lab | Stop-ClydeLab; Remove-Item $cluster -ErrorAction Ignore }

# ---- 2. The simulator against the Lab ----
$rows.Add('## The simulator against the Lab (24 private nodes, NAT 250 MB/s, registry 500 MB/s, nodes 100 MB/s, P2P, 4 GiB in 6 layers)')
$rows.Add('')
$rows.Add('Lab: seeding start to DaemonSet available, in Lab time. Forecast: `Invoke-ClydeSeedSimulation` for the same nodes (piped from `Get-ClydeNodeNetwork`) and bandwidths, seeding time plus rollout.')
$rows.Add('')
$rows.Add('| strategy | Lab (s) | forecast (s) | forecast / Lab | planned starts (Lab) | GiB followers fetched from the registry (Lab) |')
$rows.Add('|---|---|---|---|---|---|')
foreach ($run in @(
        @{ Name = 'Doubling'; Strategy = 'Doubling'; Known = $false }
        @{ Name = 'Pipelined'; Strategy = 'Pipelined'; Known = $false }
        @{ Name = 'Pipelined, bandwidths given (planned starts)'; Strategy = 'Pipelined'; Known = $true })) {
    $strategy = $run.Strategy
    $cluster = New-ClusterFile 24 $image '4Gi'
    $lab = Start-ClydeLab -ClusterFile $cluster -TimeScale $TimeScale
    try {
        Wait-MirrorReady $lab
        $kube = $lab.KubeconfigPath
        $img = Get-ClydeImage -Image $image -Kubeconfig $kube
        # bandwidths as the nodes see them: the registry through the NAT gateway (250 MB/s), a node's 100 MB/s
        $given = if ($run.Known) { @{ RegistryBandwidthMBps = 250; NodeBandwidthMBps = 100 } } else { @{} }
        $seed = $img | Start-ClydeSeed -Kubeconfig $kube -DaemonSetName sim -Strategy $strategy -Timeout 2h @given
        $ds = $seed | New-ClydeDaemonSet -Kubeconfig $kube -Name sim -Image $image -Wait -Timeout 2h
        $labSeconds = $seed.Duration.TotalSeconds + $ds.Duration.TotalSeconds
        $nodes = Get-ClydeNodeNetwork -Kubeconfig $kube
        $layers = @($img.Layers | ForEach-Object { $_.SizeBytes / 1MB })
        $f = $nodes | Invoke-ClydeSeedSimulation -LayerSizesMB $layers -RegistryBandwidthMBps 500 -NatBandwidthMBps 250 -NodeBandwidthMBps 100 -P2P -Strategy $strategy -NoLayerProgress -KnownBandwidth:$run.Known
        $forecast = $f.RolloutTime.TotalSeconds
        $planned = @($seed.Decisions | Where-Object { $_.Narrative -match 'planned start' }).Count
        $followerRegistry = ($seed.Pulls | Where-Object { $_.Node -notin $seed.Waves[0].Nodes } | Measure-Object BytesFromRegistry -Sum).Sum / 1GB
        $rows.Add(('| {0} | {1:0} | {2:0} | {3:0.00} | {4} | {5:0.##} |' -f $run.Name, $labSeconds, $forecast, ($forecast / $labSeconds), $planned, $followerRegistry))
    }
    finally { $lab | Stop-ClydeLab; Remove-Item $cluster -ErrorAction Ignore }
}
$rows.Add('')

$results = Join-Path $PSScriptRoot 'results'
$null = New-Item -ItemType Directory -Force $results
$md = @('# Seeding on the Lab', '',
    "Command: ``dotnet pwsh ./build.ps1 Bench -Bench LabSeeding`` (``bench/LabSeeding.Bench.ps1 -NodeCount $NodeCount -TimeScale $TimeScale``), $(Get-Date -Format 'yyyy-MM-dd'). Lab time and request counts: independent of this machine's load.", '') + $rows
$md | Set-Content (Join-Path $results 'LabSeeding.md')
$md | Write-Host
