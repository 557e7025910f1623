<#
.SYNOPSIS
    Measures the Lab at scale: 5,000 nodes and 50,000 pods (run by ./build.ps1 Bench).
.DESCRIPTION
    Starts a 5,000-node Lab (HTTPS, so that kubectl sends credentials), times listing the nodes with kubectl and
    Invoke-RestMethod, creates a DaemonSet (one pod per node) and a Deployment that together make 50,000 pods,
    waits (polling their status) until every pod is Running and Ready, times listing the 50,000 pods, and reads the
    Lab process's memory. Wall-clock numbers on a shared machine, never asserted in tests.
    Writes bench/results/Lab.md.
#>
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [int] $NodeCount = 5000,
    [int] $PodCount = 50000,
    [double] $TimeScale = 10,
    [int] $TimeoutMinutes = 30
)

$ErrorActionPreference = 'Stop'
Import-Module $ModuleManifest -Force
$kubectl = (Get-Command kubectl -CommandType Application -ErrorAction Ignore | Select-Object -First 1).Source
$rows = [Collections.Generic.List[object]]::new()
function Add-Row([string] $measure, [string] $value) { $rows.Add([pscustomobject]@{ Measure = $measure; Value = $value }); Write-Host "$measure : $value" }
function Secs([TimeSpan] $t) { '{0:0.00} s' -f $t.TotalSeconds }

$sw = [Diagnostics.Stopwatch]::StartNew()
$lab = Start-ClydeLab -NodeCount $NodeCount -Https -TimeScale $TimeScale -Seed 1 -Timeout ([TimeSpan]::FromMinutes(5))
Add-Row "Start-ClydeLab -NodeCount $NodeCount -Https -TimeScale $TimeScale (until it answers)" (Secs $sw.Elapsed)
$token = (Get-Content -Raw (Join-Path $lab.StateDirectory 'token')).Trim()
$rest = @{ Headers = @{ Authorization = "Bearer $token" }; SkipCertificateCheck = $true }
$kc = @('--kubeconfig', $lab.KubeconfigPath, '--cache-dir', (Join-Path $lab.StateDirectory 'kubectl-cache'))
$work = Join-Path $lab.StateDirectory 'bench'
$null = New-Item -ItemType Directory -Force $work
# The Lab's own share of a list: the bytes of the response, read without decoding them (what a client waits for
# before it can parse anything). The rest of a kubectl or Invoke-RestMethod list is the client's JSON decoding.
$rawHandler = [System.Net.Http.HttpClientHandler]::new()
$rawHandler.ServerCertificateCustomValidationCallback = [System.Net.Http.HttpClientHandler]::DangerousAcceptAnyServerCertificateValidator
$raw = [System.Net.Http.HttpClient]::new($rawHandler)
$raw.Timeout = [TimeSpan]::FromMinutes(10)
$raw.DefaultRequestHeaders.Authorization = [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Bearer', $token)
function Measure-RawList([string] $path) {
    $null = $raw.GetByteArrayAsync("$($lab.Url)$path").GetAwaiter().GetResult()   # warm-up
    $best = [double]::MaxValue
    foreach ($i in 1..3) {
        $sw1 = [Diagnostics.Stopwatch]::StartNew()
        $bytes = $raw.GetByteArrayAsync("$($lab.Url)$path").GetAwaiter().GetResult()
        $best = [Math]::Min($best, $sw1.Elapsed.TotalSeconds)
    }
    '{0:0.00} s ({1:0} MB; best of 3)' -f $best, ($bytes.Length / 1MB)
}
function Pods-Running {
    $ds = Invoke-RestMethod @rest "$($lab.Url)/apis/apps/v1/namespaces/default/daemonsets/bench-ds"
    $dp = Invoke-RestMethod @rest "$($lab.Url)/apis/apps/v1/namespaces/default/deployments/bench-deploy"
    [int]$ds.status.numberReady + [int]$dp.status.readyReplicas
}
try {
    $null = & $kubectl @kc get nodes --chunk-size=0 -o name   # warm-up (discovery cache, JIT)
    $t = Measure-Command { $n = (& $kubectl @kc get nodes --chunk-size=0 -o name | Measure-Object).Count }
    Add-Row "kubectl get nodes --chunk-size=0 -o name | Measure-Object ($n nodes)" (Secs $t)
    $t = Measure-Command { $n = (Invoke-RestMethod @rest "$($lab.Url)/api/v1/nodes").items.Count }
    Add-Row "Invoke-RestMethod /api/v1/nodes ($n nodes)" (Secs $t)
    Add-Row "GET /api/v1/nodes, response bytes only (the Lab's share)" (Measure-RawList '/api/v1/nodes')
    $t = Measure-Command { $n = (& $kubectl @kc get nodes --chunk-size=0 | Measure-Object).Count - 1 }
    Add-Row "kubectl get nodes --chunk-size=0 (server-side Table, $n rows)" (Secs $t)

    $replicas = $PodCount - $NodeCount
    @"
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: bench-ds, namespace: default}
spec:
  selector: {matchLabels: {app: bench-ds}}
  template:
    metadata: {labels: {app: bench-ds}}
    spec:
      containers: [{name: agent, image: 'busybox:1.36', command: [sleep, infinity]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: bench-deploy, namespace: default}
spec:
  replicas: $replicas
  selector: {matchLabels: {app: bench-deploy}}
  template:
    metadata: {labels: {app: bench-deploy}}
    spec:
      containers: [{name: pause, image: 'registry.k8s.io/pause:3.9'}]
"@ | Set-Content (Join-Path $work 'workloads.yaml')
    $sw.Restart()
    $null = & $kubectl @kc apply -f (Join-Path $work 'workloads.yaml')
    $deadline = [DateTime]::UtcNow.AddMinutes($TimeoutMinutes)
    $last = -1
    while (($running = Pods-Running) -lt $PodCount -and [DateTime]::UtcNow -lt $deadline) {
        if ($running -ne $last) { Write-Host ("{0,7:0.0} s: {1} pods ready" -f $sw.Elapsed.TotalSeconds, $running); $last = $running }
        Start-Sleep -Seconds 2
    }
    $allUp = $sw.Elapsed
    Add-Row "DaemonSet ($NodeCount pods) + Deployment ($replicas replicas): kubectl apply until all Running and Ready" $(if ($running -ge $PodCount) { Secs $allUp } else { "not reached in $TimeoutMinutes min ($running ready)" })

    $null = & $kubectl @kc get pods -A --chunk-size=0 -o name | Select-Object -First 1
    $t = Measure-Command { $n = (& $kubectl @kc get pods -A --chunk-size=0 -o name | Measure-Object).Count }
    Add-Row "kubectl get pods -A --chunk-size=0 -o name | Measure-Object ($n pods)" (Secs $t)
    $t = Measure-Command { $n = (Invoke-RestMethod @rest "$($lab.Url)/api/v1/pods").items.Count }
    Add-Row "Invoke-RestMethod /api/v1/pods ($n pods)" (Secs $t)
    Add-Row "GET /api/v1/pods, response bytes only (the Lab's share)" (Measure-RawList '/api/v1/pods')
    $t = Measure-Command { $n = (& $kubectl @kc get pods -A --chunk-size=0 | Measure-Object).Count - 1 }
    Add-Row "kubectl get pods -A --chunk-size=0 (server-side Table, $n rows)" (Secs $t)
    $t = Measure-Command { $n = (& $kubectl @kc get pods -A -o name | Measure-Object).Count }
    Add-Row "kubectl get pods -A -o name (kubectl's default pages of 500, $n pods)" (Secs $t)
    $p = Get-Process -Id $lab.ProcessId
    $p.Refresh()
    Add-Row "Lab memory (RSS) at the end" ('{0:0} MB' -f ($p.WorkingSet64 / 1MB))
    Add-Row "Lab peak memory (VmHWM)" ('{0:0} MB' -f ($p.PeakWorkingSet64 / 1MB))
}
finally { $raw.Dispose(); $lab | Stop-ClydeLab }

$rows | Format-Table -AutoSize | Out-String | Write-Host
$results = Join-Path $PSScriptRoot 'results'
$null = New-Item -ItemType Directory -Force $results
$md = @("# The Lab at scale: $NodeCount nodes, $PodCount pods", '',
    "Command: ``dotnet pwsh ./build.ps1 Bench`` (``bench/Lab.Bench.ps1 -NodeCount $NodeCount -PodCount $PodCount -TimeScale $TimeScale``) on $([Environment]::ProcessorCount) cores, $(Get-Date -Format 'yyyy-MM-dd'). Wall-clock times.", '',
    '| measure | value |', '|---|---|') + ($rows | ForEach-Object { "| $($_.Measure -replace '\|', '\|') | $($_.Value) |" }) + @('',
    'Reading: the "response bytes only" rows are the Lab serving a list (stored objects keep their JSON, so a list is a copy of',
    'bytes); the gap to the kubectl and Invoke-RestMethod rows is those clients decoding every full object. Tables, which the Lab',
    'renders for kubectl''s default output, are much smaller to decode.')
$md | Set-Content (Join-Path $results 'Lab.md')
