#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests, documents, benchmarks and packages ClydePS.

.DESCRIPTION
    Tasks are plain positional names, run in the order given:
      Build    assemble out/ClydePS/<version>/ (importable with Import-Module; the Lab inside it)
      Test     Build, then every xUnit and Pester suite and a Demo smoke run; the last line printed is
               'N passed, N failed' and the exit code is non-zero on any failure
      Demo     Build, then run the demo on a Lab cluster
      Docs     turn docs/ markdown into MAML help inside the assembled module
      Bench    run the benchmarks under bench/ (-Bench Name,... for some), then write bench/results.md
      Package  Build, then pack the module folder as a .nupkg into out/
      Clean    remove out/ and every bin/ and obj/ folder

.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 Test
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0, ValueFromRemainingArguments = $true)]
    [ValidateSet('Build', 'Test', 'Demo', 'Docs', 'Bench', 'Package', 'Clean')]
    [string[]] $Task = @('Build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Demo only: a short run for CI (fewer nodes).
    [switch] $Smoke,

    # Demo and Bench: use the module already assembled in out/ instead of building first.
    [switch] $SkipBuild,

    # Bench only: the benchmarks to run, by name (bench/<Name>.Bench.ps1); default all.
    [string[]] $Bench
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$env:NO_COLOR = '1'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
if ($PSStyle) { $PSStyle.OutputRendering = 'PlainText' }

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
[xml] $props = Get-Content -Raw (Join-Path $Root 'Directory.Build.props')
$Version = ([string]$props.Project.PropertyGroup.ClydePSVersion).Trim()
$ModuleDir = Join-Path $Out "ClydePS/$Version"
$ModuleManifest = Join-Path $ModuleDir 'ClydePS.psd1'

# Debian packages the tests and the demo need (installed when missing, so a fresh machine works; chromium renders the HTML report in tests).
$DebianPackages = @('docker-registry', 'skopeo', 'apache2-utils', 'iproute2', 'busybox', 'chromium')

function Write-Step([string] $Text) { Write-Host "==> $Text" }

function Invoke-Native {
    param([string] $File, [string[]] $Arguments)
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

function Install-Prerequisites {
    $missing = @($DebianPackages | Where-Object { -not (Test-DebianPackage $_) })
    if ($missing.Count -eq 0) { return }
    if (-not $IsLinux -or -not (Get-Command apt-get -ErrorAction Ignore)) {
        throw "Missing tools: $($missing -join ', '). Install them with your package manager and run again."
    }
    Write-Step "Installing Debian packages: $($missing -join ', ')"
    $sudo = if ((id -u) -ne '0') { 'sudo' } else { $null }
    $env:DEBIAN_FRONTEND = 'noninteractive'
    if ($sudo) { Invoke-Native $sudo @('apt-get', 'update', '-q') } else { Invoke-Native 'apt-get' @('update', '-q') }
    $install = @('install', '-y', '-q', '--no-install-recommends') + $missing
    if ($sudo) { Invoke-Native $sudo (@('apt-get') + $install) } else { Invoke-Native 'apt-get' $install }
}

function Test-DebianPackage([string] $Name) {
    $status = dpkg-query -W -f '${Status}' $Name 2>$null
    return $LASTEXITCODE -eq 0 -and $status -like '*install ok installed*'
}

# The pwsh that runs this script, as a command line can start it again (under 'dotnet pwsh' the process
# is dotnet itself; the tool package ships a pwsh launcher in $PSHOME).
function Get-PwshPath {
    $exe = if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' }
    $candidate = Join-Path $PSHOME $exe
    if (Test-Path $candidate) { return $candidate }
    return (Get-Process -Id $PID).Path
}

function Get-NuGetPackageRoot {
    if ($env:NUGET_PACKAGES) { return $env:NUGET_PACKAGES }
    $line = dotnet nuget locals global-packages --list | Select-Object -First 1
    return ($line -replace '^global-packages:\s*', '').Trim()
}

function Invoke-Build {
    Write-Step "Build ClydePS $Version ($Configuration)"
    if (Test-Path $ModuleDir) { Remove-Item -Recurse -Force $ModuleDir }
    $null = New-Item -ItemType Directory -Force $ModuleDir

    Invoke-Native dotnet @('build', (Join-Path $Root 'ClydePS.sln'), '-c', $Configuration, '-v', 'q', '-nologo', '-clp:ErrorsOnly')

    # Cmdlets beside the manifest; the engine and every dependency in Dependencies/ (private load context).
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/ClydePS.Engine'), '-c', $Configuration, '--no-build', '-v', 'q', '-nologo',
        '-o', (Join-Path $ModuleDir 'Dependencies'))
    $cmdletBin = Join-Path $Root "src/ClydePS/bin/$Configuration/net8.0"
    Copy-Item (Join-Path $cmdletBin 'ClydePS.dll'), (Join-Path $cmdletBin 'ClydePS.pdb') $ModuleDir
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/ClydePS.Lab'), '-c', $Configuration, '--no-build', '-v', 'q', '-nologo',
        '-o', (Join-Path $ModuleDir 'Lab'))
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/ClydePS.FlexWebhook'), '-c', $Configuration, '--no-build', '-v', 'q', '-nologo',
        '-o', (Join-Path $ModuleDir 'FlexWebhook'))

    Copy-Item (Join-Path $Root 'module/ClydePS.format.ps1xml'), (Join-Path $Root 'module/ClydePS.types.ps1xml') $ModuleDir
    # The snapshot agent's entrypoint (what the agent image runs, and what the Lab runs for agent pods).
    Copy-Item -Recurse (Join-Path $Root 'module/agent') (Join-Path $ModuleDir 'agent')
    (Get-Content -Raw (Join-Path $Root 'module/ClydePS.psd1')) -replace "ModuleVersion(\s*)=(\s*)'0\.0\.0'", "ModuleVersion`$1=`$2'$Version'" |
        Set-Content -NoNewline (Join-Path $ModuleDir 'ClydePS.psd1')
    Invoke-Docs
    $null = Test-ModuleManifest $ModuleManifest
    Write-Step "Module assembled at $ModuleDir"
}

function Invoke-Docs {
    $converter = Join-Path $Root 'docs/tools/ConvertTo-ClydeMaml.ps1'
    if (-not (Test-Path $ModuleDir)) { throw "Run the Build task first." }
    & $converter -DocsPath (Join-Path $Root 'docs') -OutputPath (Join-Path $ModuleDir 'en-US')
}

# ---------------------------------------------------------------- tests

# The first line of a failure's message, so the summary at the end of a long run says why and not only what.
function Format-FailureReason([string] $Message) {
    $line = "$Message".Trim() -split "\r?\n" | Select-Object -First 1
    if (-not $line) { return '' }
    if ($line.Length -gt 300) { $line = $line.Substring(0, 300) + '...' }
    return ": $line"
}

function Get-TrxCounts([string] $Folder) {
    $passed = 0; $failed = 0
    foreach ($trx in Get-ChildItem -Path $Folder -Filter *.trx -ErrorAction Ignore) {
        [xml] $doc = Get-Content -Raw $trx.FullName
        $counters = $doc.TestRun.ResultSummary.Counters
        foreach ($r in @($doc.TestRun.Results.UnitTestResult) | Where-Object { $_ -and $_.outcome -ne 'Passed' -and $_.outcome -ne 'NotExecuted' }) {
            $script:FailedTests.Add("xUnit: $($r.testName)$(Format-FailureReason $r.Output.ErrorInfo.Message)")
        }
        $passed += [int]$counters.passed
        $failed += [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
    }
    return [pscustomobject]@{ Passed = $passed; Failed = $failed }
}

function Invoke-XunitSuites {
    $results = Join-Path $Out 'test-results/xunit'
    if (Test-Path $results) { Remove-Item -Recurse -Force $results }
    $total = [pscustomobject]@{ Passed = 0; Failed = 0 }
    foreach ($project in Get-ChildItem (Join-Path $Root 'tests') -Recurse -Filter '*.Tests.csproj') {
        Write-Step "xUnit: $($project.BaseName)"
        $folder = Join-Path $results $project.BaseName
        dotnet test $project.FullName -c $Configuration --no-build --nologo -v q `
            --logger "trx;LogFileName=$($project.BaseName).trx" --logger 'console;verbosity=minimal' --results-directory $folder | Out-Host
        $exit = $LASTEXITCODE
        $counts = Get-TrxCounts $folder
        if ($exit -ne 0 -and $counts.Failed -eq 0) { $counts.Failed = 1; Write-Host "   $($project.BaseName) failed to run (exit $exit)" }
        Write-Host "   $($counts.Passed) passed, $($counts.Failed) failed"
        $total.Passed += $counts.Passed; $total.Failed += $counts.Failed
    }
    return $total
}

function Get-PesterModule {
    $root = Get-NuGetPackageRoot
    $pester = Join-Path $root 'pester/5.7.1/tools/Pester.psd1'
    if (-not (Test-Path $pester) -or -not (Test-Path (Join-Path $root 'yamldotnet/13.7.1'))) {
        Write-Step 'Restoring Pester 5.7.1 from NuGet'
        Invoke-Native dotnet @('restore', (Join-Path $Root 'tests/pester/Pester.proj'), '-v', 'q', '-nologo')
    }
    if (-not (Test-Path $pester)) { throw "Pester 5.7.1 was not restored to $pester." }
    return $pester
}

function Invoke-PesterSuites {
    $pester = Get-PesterModule
    $resultFile = Join-Path $Out 'test-results/pester.json'
    $null = New-Item -ItemType Directory -Force (Split-Path $resultFile)
    Write-Step 'Pester: tests/pester (child pwsh, assembled module)'
    $script = @"
`$ErrorActionPreference = 'Stop'
`$PSStyle.OutputRendering = 'PlainText'
Import-Module '$pester'
`$config = New-PesterConfiguration
`$config.Run.Path = '$(Join-Path $Root 'tests/pester')'
`$config.Run.PassThru = `$true
`$config.Output.Verbosity = 'Normal'
`$config.TestResult.Enabled = `$true
`$config.TestResult.OutputPath = '$(Join-Path $Out 'test-results/pester.xml')'
`$r = Invoke-Pester -Configuration `$config
@{ Passed = `$r.PassedCount; Failed = `$r.FailedCount + `$r.FailedBlocksCount + `$r.FailedContainersCount
   Names = @(`$r.Failed | ForEach-Object { `$_.ExpandedPath + ' :: ' + ("`$(`$_.ErrorRecord | Select-Object -First 1)" -split '\r?\n' | Select-Object -First 1) }) + @(`$r.FailedBlocks | ForEach-Object { `$_.Path -join '.' }) + @(`$r.FailedContainers | ForEach-Object { `$_.Item }) } |
    ConvertTo-Json | Set-Content '$resultFile'
"@
    if (Test-Path $resultFile) { Remove-Item $resultFile }
    $env:CLYDEPS_MODULE = $ModuleManifest
    $env:CLYDEPS_NUGET_ROOT = Get-NuGetPackageRoot
    $pwsh = Get-PwshPath
    & $pwsh -NoProfile -NonInteractive -Command $script | Out-Host
    if (-not (Test-Path $resultFile)) { return [pscustomobject]@{ Passed = 0; Failed = 1 } }
    $r = Get-Content -Raw $resultFile | ConvertFrom-Json
    foreach ($name in @($r.Names) | Where-Object { $_ }) {
        $path, $reason = "$name" -split ' :: ', 2
        $script:FailedTests.Add("Pester: $path$(Format-FailureReason $reason)")
    }
    Write-Host "   $($r.Passed) passed, $($r.Failed) failed"
    return [pscustomobject]@{ Passed = [int]$r.Passed; Failed = [int]$r.Failed }
}

function Invoke-DemoSmoke {
    Write-Step 'Demo smoke run'
    $pwsh = Get-PwshPath
    & $pwsh -NoProfile -NonInteractive -File $PSCommandPath Demo -Smoke -Configuration $Configuration -SkipBuild | Out-Host
    $ok = $LASTEXITCODE -eq 0
    if (-not $ok) { $script:FailedTests.Add('Demo smoke run') }
    Write-Host "   demo smoke: $(if ($ok) { 'passed' } else { 'FAILED' })"
    return [pscustomobject]@{ Passed = [int]$ok; Failed = [int](-not $ok) }
}

$script:FailedTests = [System.Collections.Generic.List[string]]::new()

function Invoke-Test {
    Install-Prerequisites
    Invoke-Build
    $suites = @(Invoke-XunitSuites; Invoke-PesterSuites; Invoke-DemoSmoke)
    $passed = ($suites | Measure-Object Passed -Sum).Sum
    $failed = ($suites | Measure-Object Failed -Sum).Sum
    foreach ($name in $script:FailedTests) { Write-Host "FAILED: $name" }
    "$passed passed, $failed failed"
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

# ---------------------------------------------------------------- demo

function Invoke-Demo {
    Import-Module $ModuleManifest -Force
    $nodes = if ($Smoke) { 8 } else { 24 }
    $size = if ($Smoke) { '2Gi' } else { '12Gi' }
    $big = 'example.com/llm/server:v1'
    Write-Host "ClydePS $Version demo: a private Lab cluster of $nodes nodes behind a NAT gateway, with a P2P mirror, and a $size image"
    $cluster = Join-Path ([IO.Path]::GetTempPath()) "clydeps-demo-$PID.json"
    @{
        seed       = 7
        nodeGroups = @(@{ count = $nodes; publicRatio = 0; zones = @('eu-west-1a', 'eu-west-1b') })
        network    = @{ registryBandwidthMBps = 500; natBandwidthMBps = 250; nodeBandwidthMBps = 100; p2p = $true }
        images     = @(@{ reference = $big; size = $size; layerCount = 6; platforms = @('linux/amd64') })
    } | ConvertTo-Json -Depth 5 | Set-Content $cluster
    $scale = 20
    try {
        $lab = Start-ClydeLab -ClusterFile $cluster -TimeScale $scale
        $kube = $lab.KubeconfigPath
        try {
            Write-Host "Lab at $($lab.Url), time scale $scale (every time below is Lab time)"
            Write-Host ''
            Write-Host '> Get-ClydeNodeNetwork -Kubeconfig $kube -Summary'
            $summary = Get-ClydeNodeNetwork -Kubeconfig $kube -Summary
            $summary | Format-List Class, NodeCount, EligibleCount, PublicCount, PrivateCount | Out-String | Write-Host
            if ($summary.NodeCount -ne $nodes -or $summary.Class -ne 'Private') { throw "Demo expected a Private cluster of $nodes nodes, got $($summary.Class) with $($summary.NodeCount)." }

            Write-Host "> Get-ClydeImage -Image $big -Kubeconfig `$kube   (through the Lab's registry mirror)"
            $image = Get-ClydeImage -Image $big -Kubeconfig $kube
            $image | Format-List Image, Digest, SizeBytes, LargestLayerSizeBytes | Out-String | Write-Host

            Write-Host '> $image | Measure-ClydeRegistryProbe -Kubeconfig $kube -Duration 10s -Interval 2s -SampleBytes 64MB'
            $probe = $image | Measure-ClydeRegistryProbe -Kubeconfig $kube -Duration 10s -Interval 2s -SampleBytes 64MB
            $probe | Format-List Probers, Samples, BandwidthMBps, JitterMs, DropRatePct, Healthy | Out-String -Width 160 | Write-Host

            Write-Host '> $seed = $image | Start-ClydeSeed -Kubeconfig $kube -DaemonSetName llm -Strategy Adaptive -MonitorWindow 10s -MonitorBandwidthThreshold 25 -Verbose'
            $seed = $image | Start-ClydeSeed -Kubeconfig $kube -DaemonSetName llm -Strategy Adaptive -MonitorWindow 10s -MonitorBandwidthThreshold 25 -Verbose 4>&1 | ForEach-Object {
                if ($_ -is [System.Management.Automation.VerboseRecord]) {
                    if ($_.Message -match '^(window|wave|monitoring|Private|Mixed|Public)') { Write-Host "  VERBOSE: $($_.Message)" }
                }
                else { $_ }
            }
            $seed | Format-List Strategy, NetworkClass, Eligible, Target, Seeded, Failed, Mirror, Outcome, Duration | Out-String -Width 160 | Write-Host
            $seed.Waves | Format-Table Number, Source, Start, End, @{ n = 'Nodes'; e = { $_.Nodes -join ',' } } -AutoSize | Out-String -Width 200 | Write-Host
            $seed.Decisions | Format-Table Time, Kind, Verdict, Narrative -AutoSize -Wrap | Out-String -Width 200 | Write-Host
            if ($seed.Seeded -lt $seed.Target) { throw "Demo expected $($seed.Target) seeded nodes, got $($seed.Seeded)." }

            Write-Host '> $seed | New-ClydeDaemonSet -Kubeconfig $kube -Name llm -Wait'
            $ds = $seed | New-ClydeDaemonSet -Kubeconfig $kube -Name llm -Wait
            $ds | Format-Table -AutoSize | Out-String -Width 160 | Write-Host
            if ($ds.Available -ne $nodes) { throw "Demo expected the DaemonSet available on all $nodes nodes." }
            # Kubelets list a pulled image in node status a little after the pull.
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            do { $holding = @(Get-ClydeNodeImage -Kubeconfig $kube -Image $big | Where-Object Holds).Count }
            until ($holding -eq $nodes -or [DateTime]::UtcNow -gt $deadline -or (Start-Sleep -Milliseconds 500))
            Write-Host "> Get-ClydeNodeImage -Kubeconfig `$kube -Image $big   ($holding of $nodes nodes hold the digest)"
            if ($holding -ne $nodes) { throw "Demo expected every node to hold $big, $holding do." }
            $headers = @{ Authorization = "Bearer $((Get-Content -Raw (Join-Path $lab.StateDirectory 'token')).Trim())" }
            $seedPods = @((Invoke-RestMethod -Uri "$($lab.Url)/api/v1/pods?labelSelector=clydeps.io%2Frole%3Dseed" -Headers $headers).items)
            Write-Host "Seed pods left after the rollout: $($seedPods.Count)"
            if ($seedPods.Count -ne 0) { throw 'Demo expected every seed pod to be released.' }
            $seeded = $seed.Duration + $ds.Duration
            $reportPath = Join-Path $Out 'demo/rollout-report.html'
            $null = New-Item -ItemType Directory -Force (Split-Path $reportPath)
            Write-Host "> `$seed, `$ds | Export-ClydeRolloutReport -Path $reportPath -PassThru"
            $report = $seed, $ds | Export-ClydeRolloutReport -Path $reportPath -PassThru
            Write-Host "Rollout report ($([math]::Round($report.Length / 1KB)) KB, self-contained HTML): $($report.FullName)"
            if (Get-Command kubectl -ErrorAction Ignore) {
                Write-Host '> kubectl get daemonset llm   (an independent client of the Lab)'
                $cache = Join-Path ([IO.Path]::GetTempPath()) "clydeps-kubectl-$([guid]::NewGuid().ToString('N'))"
                $table = kubectl --kubeconfig $kube --cache-dir $cache get daemonset llm 2>&1
                $exit = $LASTEXITCODE
                Remove-Item -Recurse -Force $cache -ErrorAction Ignore
                $table | Out-String | Write-Host
                if ($exit -ne 0) { throw "kubectl could not read the DaemonSet (exit $exit)." }
            }
        }
        finally {
            $lab | Stop-ClydeLab
        }

        Write-Host "The same rollout without seeding, on an identical Lab (same cluster file and seed):"
        $lab = Start-ClydeLab -ClusterFile $cluster -TimeScale $scale
        try {
            Write-Host "> New-ClydeDaemonSet -Kubeconfig `$kube -Name llm -Image $big -Wait -Timeout 2h"
            $direct = New-ClydeDaemonSet -Kubeconfig $lab.KubeconfigPath -Name llm -Image $big -Wait -Timeout 2h
            $direct | Format-Table -AutoSize | Out-String -Width 160 | Write-Host
        }
        finally {
            $lab | Stop-ClydeLab
        }
    }
    finally {
        Remove-Item $cluster -ErrorAction Ignore
    }
    $ratio = $direct.Duration.TotalSeconds / [Math]::Max(1, $seeded.TotalSeconds)
    Write-Host ("Seeded rollout: {0:0} s (seeding {1:0} s + DaemonSet {2:0} s); direct rollout: {3:0} s; {4:0.0}x faster (Lab time)." -f `
        $seeded.TotalSeconds, $seed.Duration.TotalSeconds, $ds.Duration.TotalSeconds, $direct.Duration.TotalSeconds, $ratio)
    Write-Host "HTML report of the seeded rollout: $($report.FullName)"
    Write-Host 'Demo finished.'
}

# ---------------------------------------------------------------- other tasks

function Invoke-Bench {
    $benches = @(Get-ChildItem (Join-Path $Root 'bench') -Filter '*.Bench.ps1' -ErrorAction Ignore)
    if ($Bench) {
        $Bench = @($Bench -split ',' | ForEach-Object Trim | Where-Object { $_ })   # 'A,B' from a command line is one string
        $unknown = @($Bench | Where-Object { $_ -notin ($benches.Name -replace '\.Bench\.ps1$') })
        if ($unknown) { throw "No benchmark named $($unknown -join ', '): the benchmarks are $(($benches.Name -replace '\.Bench\.ps1$') -join ', ')." }
        $benches = @($benches | Where-Object { ($_.Name -replace '\.Bench\.ps1$') -in $Bench })
    }
    if ($benches.Count -eq 0) { Write-Step 'No benchmarks yet (bench/*.Bench.ps1).'; return }
    Import-Module $ModuleManifest -Force
    $ran = foreach ($benchFile in $benches) {
        Write-Step "Bench: $($benchFile.Name)"
        & $benchFile.FullName -ModuleManifest $ModuleManifest | Out-Host
        $benchFile.Name -replace '\.Bench\.ps1$'
    }
    Write-BenchIndex @($ran)
}

# bench/results.md: the command and date of this run, then every result file (each keeps its own command and date).
function Write-BenchIndex([string[]] $Ran) {
    $resultsDir = Join-Path $Root 'bench/results'
    $commit = (git -C $Root rev-parse --short HEAD 2>$null)
    $command = 'dotnet pwsh ./build.ps1 Bench' + $(if ($Bench) { " -Bench $($Bench -join ',')" } else { '' }) + $(if ($SkipBuild) { ' -SkipBuild' } else { '' })
    $order = 'Simulation', 'Lab', 'NodeNetwork', 'Startup'
    $files = @(Get-ChildItem $resultsDir -Filter '*.md' -ErrorAction Ignore |
            Sort-Object { $i = [array]::IndexOf($order, $_.BaseName); if ($i -lt 0) { 99 } else { $i } }, Name)
    $lines = @(
        '# ClydePS benchmarks', ''
        "Last run: ``$command`` on $([Environment]::ProcessorCount) cores, $((Get-Date).ToUniversalTime().ToString('yyyy-MM-dd HH:mm')) UTC, at commit $commit; it ran $(($Ran | ForEach-Object { ""bench/$_.Bench.ps1"" }) -join ', '). The sections below are the result files in bench/results/, each with the command and date it was measured with (a section not run this time keeps its earlier date).", ''
        '| section | file | run this time |', '|---|---|---|'
        $files | ForEach-Object { "| $($_.BaseName) | [results/$($_.Name)](results/$($_.Name)) | $(if ($_.BaseName -in $Ran) { 'yes' } else { 'no' }) |" }
        ''
    )
    foreach ($file in $files) {
        # Demote the file's headings one level and point its relative links into results/.
        $text = (Get-Content -Raw $file.FullName) -replace '(?m)^#', '##' -replace '\]\((?!https?:|#|results/)([^)]+)\)', '](results/$1)'
        $lines += $text.TrimEnd(), ''
    }
    $lines | Set-Content (Join-Path $Root 'bench/results.md')
    Write-Step "Bench index: $(Join-Path $Root 'bench/results.md')"
}

function Invoke-Package {
    Invoke-Build
    $staging = Join-Path $Out 'package'
    if (Test-Path $staging) { Remove-Item -Recurse -Force $staging }
    $null = New-Item -ItemType Directory $staging
    Copy-Item -Recurse "$ModuleDir/*" $staging
    $nuspec = @"
<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd">
  <metadata>
    <id>ClydePS</id>
    <version>$Version</version>
    <authors>ClydePS contributors</authors>
    <description>Gets multi-gigabyte container images onto every node of a Kubernetes cluster fast, then rolls out the workload.</description>
    <license type="expression">Apache-2.0</license>
    <tags>PSModule PSIncludes_Cmdlet Kubernetes</tags>
  </metadata>
</package>
"@
    Set-Content (Join-Path $staging 'ClydePS.nuspec') $nuspec
    # A .nupkg is a zip with the nuspec at its root and an OPC content-types part, as PowerShellGet publishes.
    Set-Content -LiteralPath (Join-Path $staging '[Content_Types].xml') '<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="psd1" ContentType="application/octet" /><Default Extension="dll" ContentType="application/octet" /><Default Extension="xml" ContentType="application/octet" /><Default Extension="json" ContentType="application/octet" /><Default Extension="ps1xml" ContentType="application/octet" /><Default Extension="txt" ContentType="application/octet" /><Default Extension="pdb" ContentType="application/octet" /><Default Extension="nuspec" ContentType="application/octet" /><Default Extension="so" ContentType="application/octet" /><Default Extension="yaml" ContentType="application/octet" /></Types>'
    $nupkg = Join-Path $Out "ClydePS.$Version.nupkg"
    if (Test-Path $nupkg) { Remove-Item $nupkg }
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    [IO.Compression.ZipFile]::CreateFromDirectory($staging, $nupkg)
    Remove-Item -Recurse -Force $staging
    Write-Step "Package: $nupkg"
}

function Invoke-Clean {
    foreach ($dir in @($Out) + @(Get-ChildItem $Root -Recurse -Directory -Include bin, obj | ForEach-Object FullName)) {
        if (Test-Path $dir) { Remove-Item -Recurse -Force $dir }
    }
    Write-Step 'Clean'
}

# ---------------------------------------------------------------- main

foreach ($name in $Task) {
    switch ($name) {
        'Build' { Invoke-Build }
        'Test' { Invoke-Test }
        'Demo' { if (-not $SkipBuild) { Invoke-Build }; Invoke-Demo }
        'Docs' { Invoke-Docs }
        'Bench' { if (-not $SkipBuild) { Invoke-Build }; Invoke-Bench }
        'Package' { Invoke-Package }
        'Clean' { Invoke-Clean }
    }
}
