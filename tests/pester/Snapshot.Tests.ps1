# Invoke-ClydeSnapshot in local mode: this machine for real, a host root folder laid out like a node, file output in
# YAML and JSON, and cm:// output to a Lab (created, then updated), and malformed cm:// URIs.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')

    function New-HostRoot([string] $Path) {
        $files = @{
            'etc/os-release'                             = "NAME=`"Ubuntu`"`nVERSION_ID=`"22.04`"`nPRETTY_NAME=`"Ubuntu 22.04.4 LTS`"`n"
            'etc/hostname'                               = "worker-3`n"
            'proc/sys/kernel/osrelease'                  = "5.15.0-105-generic`n"
            'proc/cmdline'                               = "BOOT_IMAGE=/vmlinuz ro quiet`n"
            'proc/cpuinfo'                               = "processor`t: 0`nprocessor`t: 1`nprocessor`t: 2`nprocessor`t: 3`n"
            'proc/meminfo'                               = "MemTotal:       16384000 kB`nMemAvailable:    8000000 kB`n"
            'etc/containerd/certs.d/docker.io/hosts.toml' = "server = `"https://registry-1.docker.io`"`n[host.`"http://10.0.0.5:5000`"]`n  capabilities = [`"pull`", `"resolve`"]`n"
        }
        foreach ($f in $files.GetEnumerator()) {
            $p = Join-Path $Path $f.Key
            $null = New-Item -ItemType Directory -Force -Path (Split-Path $p)
            Set-Content -Path $p -Value $f.Value -NoNewline
        }
        # A broken file: the sysctl is a folder, so reading it fails.
        $null = New-Item -ItemType Directory -Force -Path (Join-Path $Path 'proc/sys/vm/max_map_count')
        return $Path
    }
    $script:HostRoot = New-HostRoot (Join-Path $TestDrive 'node')
}

Describe 'Invoke-ClydeSnapshot on this machine' {
    It 'snapshots the machine it runs on' {
        $s = Invoke-ClydeSnapshot
        $s | Should -BeOfType ([ClydePS.ClydeSnapshot])
        $s.ApiVersion | Should -Be 'clydeps.io/v1alpha1'
        $s.Kind | Should -Be 'Snapshot'
        $s.HostRoot | Should -Be '/'
        $s.ModuleVersion | Should -Be (Get-Module ClydePS).Version.ToString()
        $s.SourceNode | Should -Not -BeNullOrEmpty
        $s.KernelVersion | Should -Be ([System.IO.File]::ReadAllText('/proc/sys/kernel/osrelease').Trim())
        $s.CpuCount | Should -BeGreaterThan 0
        $s.MemoryBytes | Should -BeGreaterThan 0
        $s.Measurements.Type | Should -Be @('OS', 'Hardware', 'ContainerRuntime', 'Kubernetes', 'GPU')
        if (-not (Get-Command nvidia-smi -ErrorAction SilentlyContinue)) { $s.GpuCount | Should -Be 0 }
        ($s | Format-Table | Out-String) | Should -Match 'SourceNode'
    }
}

Describe 'Invoke-ClydeSnapshot on a prepared host root' {
    It 'reads the node files under -HostRoot and records the broken one' {
        $s = Invoke-ClydeSnapshot -HostRoot $script:HostRoot
        $s.SourceNode | Should -Be 'worker-3'
        $s.OperatingSystem | Should -Be 'Ubuntu 22.04.4 LTS'
        $s.KernelVersion | Should -Be '5.15.0-105-generic'
        $s.CpuCount | Should -Be 4
        $s.MemoryBytes | Should -Be (16384000 * 1024)
        $s.RegistryMirrors | Should -Be @('docker.io=http://10.0.0.5:5000')
        $s.GpuCount | Should -Be 0
        $s.Errors | Should -HaveCount 1
        $s.Errors[0] | Should -Match '^OS: sysctl vm.max_map_count'
    }

    It 'fails on a host root that does not exist' {
        { Invoke-ClydeSnapshot -HostRoot (Join-Path $TestDrive 'missing') -ErrorAction Stop } | Should -Throw -ErrorId 'ClydeSnapshotHostRootNotFound*'
    }

    It 'writes <File> as <Expected>' -ForEach @(
        @{ File = 'snap.yaml'; Format = $null; Expected = 'yaml' }
        @{ File = 'snap.json'; Format = $null; Expected = 'json' }
        @{ File = 'snap.txt'; Format = 'Json'; Expected = 'json' }
        @{ File = 'snap.out'; Format = $null; Expected = 'yaml' }
    ) {
        $path = Join-Path $TestDrive $File
        $extra = @{}
        if ($Format) { $extra.Format = $Format }
        Invoke-ClydeSnapshot -HostRoot $script:HostRoot -Output $path @extra | Should -BeNullOrEmpty
        $text = Get-Content -Raw $path
        if ($Expected -eq 'json') {
            $doc = $text | ConvertFrom-Json
            $doc.metadata.'source-node' | Should -Be 'worker-3'
        }
        else {
            $text | Should -Match '(?m)^apiVersion: clydeps.io/v1alpha1$'
            $text | Should -Match '(?m)^kind: Snapshot$'
            $text | Should -Match '(?m)^  source-node: worker-3$'
            { $text | ConvertFrom-Json } | Should -Throw
        }
    }

    It 'emits the object too with -PassThru, and writes nothing with -WhatIf' {
        $path = Join-Path $TestDrive 'passthru.json'
        (Invoke-ClydeSnapshot -HostRoot $script:HostRoot -Output $path -PassThru).SourceNode | Should -Be 'worker-3'
        Test-Path $path | Should -BeTrue
        $skipped = Join-Path $TestDrive 'whatif.json'
        Invoke-ClydeSnapshot -HostRoot $script:HostRoot -Output $skipped -WhatIf
        Test-Path $skipped | Should -BeFalse
    }
}

Describe 'Invoke-ClydeSnapshot to a ConfigMap on a Lab' {
    BeforeAll {
        $script:Lab = Start-ClydeLab -NodeCount 1
        $script:Headers = @{ Authorization = "Bearer $((Get-Content -Raw (Join-Path $script:Lab.StateDirectory 'token')).Trim())" }
        # The ConfigMap as sent (raw JSON text, so the timestamp string is seen as is) and parsed.
        function Get-LabConfigMap([string] $Namespace, [string] $Name) {
            $params = @{ Uri = "$($script:Lab.Url)/api/v1/namespaces/$Namespace/configmaps/$Name"; Headers = $script:Headers }
            if ($script:Lab.Https) { $params.SkipCertificateCheck = $true }
            $raw = (Invoke-WebRequest @params).Content
            $cm = $raw | ConvertFrom-Json
            $cm | Add-Member -NotePropertyName Raw -NotePropertyValue $raw -PassThru
        }
    }
    AfterAll { if ($script:Lab) { $script:Lab | Stop-ClydeLab } }

    It 'creates the ConfigMap, then updates it' {
        $k = $script:Lab.KubeconfigPath
        Invoke-ClydeSnapshot -HostRoot $script:HostRoot -Output cm://default/node-snapshot -Kubeconfig $k | Should -BeNullOrEmpty
        $cm = Get-LabConfigMap default node-snapshot
        $cm.metadata.labels.'app.kubernetes.io/name' | Should -Be 'clydeps'
        $cm.metadata.labels.'app.kubernetes.io/component' | Should -Be 'snapshot'
        $cm.data.format | Should -Be 'yaml'
        $cm.data.'snapshot.yaml' | Should -Match '(?m)^  source-node: worker-3$'
        $cm.Raw | Should -Match '"timestamp":\s*"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"'
        $firstVersion = $cm.metadata.resourceVersion

        Invoke-ClydeSnapshot -HostRoot $script:HostRoot -Output cm://default/node-snapshot -Format Json -Kubeconfig $k
        $cm = Get-LabConfigMap default node-snapshot
        $cm.metadata.resourceVersion | Should -Not -Be $firstVersion
        $cm.data.format | Should -Be 'json'
        ($cm.data.'snapshot.json' | ConvertFrom-Json).kind | Should -Be 'Snapshot'
        $cm.data.PSObject.Properties.Name | Should -Not -Contain 'snapshot.yaml'
    }

    It 'rejects <Uri> before anything is created' -ForEach @(
        @{ Uri = 'cm://default' }
        @{ Uri = 'cm://default/' }
        @{ Uri = 'cm://default/a/b' }
        @{ Uri = 'cm://Default/snap' }
        @{ Uri = 'cm://default/Snap_1' }
    ) {
        $err = $null
        try { Invoke-ClydeSnapshot -Output $Uri -Kubeconfig $script:Lab.KubeconfigPath -ErrorAction Stop }
        catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        Get-ErrorId $err | Should -Be 'ClydeSnapshotInvalidConfigMapUri'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $params = @{ Uri = "$($script:Lab.Url)/api/v1/namespaces/default/configmaps"; Headers = $script:Headers }
        if ($script:Lab.Https) { $params.SkipCertificateCheck = $true }
        @((Invoke-RestMethod @params).items.metadata.name | Where-Object { $_ -like 'snap*' -or $_ -eq 'a' }) | Should -BeNullOrEmpty
    }
}
