BeforeAll {
    . $PSScriptRoot/Common.ps1
}

Describe 'Start-ClydeLab and Stop-ClydeLab' {
    It 'starts a Lab that answers, writes its own kubeconfig, and stops it removing its files' {
        $before = $env:KUBECONFIG
        $lab = Start-ClydeLab -NodeCount 2
        try {
            $lab | Should -BeOfType ([ClydePS.ClydeLab])
            $lab.Url | Should -Match '^http://127\.0\.0\.1:\d+$'
            $lab.NodeCount | Should -Be 2
            Test-Path $lab.KubeconfigPath | Should -BeTrue
            (Get-Process -Id $lab.ProcessId).HasExited | Should -BeFalse
            $env:KUBECONFIG | Should -Be $before
        }
        finally {
            $lab | Stop-ClydeLab
        }
        Get-Process -Id $lab.ProcessId -ErrorAction Ignore | Should -BeNullOrEmpty
        Test-Path $lab.StateDirectory | Should -BeFalse
    }

    It 'serves kubectl, an independent client: get nodes shows real columns' -Skip:(-not (Get-Command kubectl -ErrorAction Ignore)) {
        $lab = Start-ClydeLab -NodeCount 3 -PublicRatio 0.34
        $cache = Join-Path $TestDrive 'kubectl-cache'
        try {
            $out = kubectl --kubeconfig $lab.KubeconfigPath --cache-dir $cache get nodes 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($out | Out-String)
            $out[0] | Should -Match '^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION'
            @($out | Select-Object -Skip 1 | Where-Object { $_ -match '^node-\d+\s+Ready\s' }).Count | Should -Be 3
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'injects faults from the start: transient API errors are retried, and a warning says so when they persist' {
        $lab = Start-ClydeLab -NodeCount 2 -Fault @{ api = @(@{ verb = 'list'; resource = 'nodes'; code = 500; count = 2 }) }
        try {
            $nodes = Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath -WarningVariable warnings -WarningAction SilentlyContinue
            $nodes | Should -HaveCount 2
            # Two failures: the first retry is routine (verbose), the second is reported as a warning.
            $warnings | Should -HaveCount 1
            $warnings[0].Message | Should -Match 'list nodes'
            $plan = Invoke-RestMethod -Uri "$($lab.Url)/clydelab/v1/faults" -Headers @{ Authorization = "Bearer $((Get-Content -Raw (Join-Path $lab.StateDirectory 'token')).Trim())" }
            $plan.api[0].code | Should -Be 500
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'rejects a fault plan with an unknown field before the Lab answers' {
        $err = { Start-ClydeLab -NodeCount 1 -Fault '{"apii": []}' } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeLabStartFailed'
    }

    It '-WhatIf starts nothing' {
        $before = @(Get-Process -ErrorAction Ignore | Where-Object { $_.Path -and $_.CommandLine -like '*ClydePS.Lab.dll*' }).Count
        $result = Start-ClydeLab -NodeCount 1 -WhatIf
        $result | Should -BeNullOrEmpty
        @(Get-Process -ErrorAction Ignore | Where-Object { $_.Path -and $_.CommandLine -like '*ClydePS.Lab.dll*' }).Count | Should -Be $before
    }

    It 'rejects bad input before starting anything' -ForEach @(
        @{ Splat = @{ NodeCount = -1 } }
        @{ Splat = @{ PublicRatio = 1.5 } }
        @{ Splat = @{ PublicRatio = -0.1 } }
        @{ Splat = @{ Port = 70000 } }
        @{ Splat = @{ Timeout = 'soon' } }
    ) {
        { Start-ClydeLab @Splat } | Should -Throw -ErrorId 'ParameterArgument*'
    }

    It 'names a missing cluster file with a stable ErrorId' {
        $err = { Start-ClydeLab -ClusterFile (Join-Path $TestDrive 'missing.yaml') } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ClydeLabClusterFileNotFound,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'refuses counts together with a cluster file' {
        $file = Join-Path $TestDrive 'c.json'
        '{"nodes":[{"name":"a"}]}' | Set-Content $file
        $err = { Start-ClydeLab -ClusterFile $file -NodeCount 4 } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeLabConflictingShape'
    }

    It 'explains a cluster file the Lab cannot read' {
        $file = Join-Path $TestDrive 'broken.json'
        '{"nodes": [ {"name": ' | Set-Content $file
        $err = { Start-ClydeLab -ClusterFile $file } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeLabStartFailed'
        $err.Exception.Message | Should -Match 'broken\.json|cluster file'
    }

    It 'keeps a user-chosen folder and removes only the files the Lab wrote' {
        $dir = Join-Path $TestDrive 'labstate'
        $null = New-Item -ItemType Directory $dir
        Set-Content (Join-Path $dir 'mine.txt') 'keep me'
        $lab = Start-ClydeLab -NodeCount 1 -Path $dir
        $lab.KubeconfigPath | Should -BeLike "$dir*"
        Stop-ClydeLab -ProcessId $lab.ProcessId
        Test-Path (Join-Path $dir 'mine.txt') | Should -BeTrue
        Test-Path $lab.KubeconfigPath | Should -BeFalse
    }

    It 'Stop-ClydeLab -All stops every Lab this session started' {
        $a = Start-ClydeLab -NodeCount 1
        $b = Start-ClydeLab -NodeCount 1
        Stop-ClydeLab -All
        Get-Process -Id $a.ProcessId, $b.ProcessId -ErrorAction Ignore | Should -BeNullOrEmpty
    }

    It 'stops by itself when the PowerShell process that started it dies' {
        $pwsh = Get-PwshPath
        $script = "Import-Module '$env:CLYDEPS_MODULE'; (Start-ClydeLab -NodeCount 1).ProcessId"
        $labPid = [int](& $pwsh -NoProfile -NonInteractive -Command $script | Select-Object -Last 1)
        $labPid | Should -BeGreaterThan 0
        # The watchdog polls its parent; give it a generous bound (this is not a speed test).
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        while ((Get-Process -Id $labPid -ErrorAction Ignore) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
        Get-Process -Id $labPid -ErrorAction Ignore | Should -BeNullOrEmpty
    }
}
