# Flex resources end to end: Install-ClydeFlexWebhook -WebhookUrl on a Lab, the webhook host (ClydePS.FlexWebhook, shipped in
# the module folder) on loopback with the certificate the installer generated, and a DaemonSet on nodes of 4, 16 and 64 cores
# whose pods (created by the Lab's DaemonSet controller, through admission) get resources in proportion to each node.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $spec = @{
        seed       = 5
        nodeGroups = @(
            @{ name = 'small'; count = 1; cpu = '4'; memory = '16Gi'; ephemeralStorage = '100Gi'; namePattern = 'small-{0}' },
            @{ name = 'medium'; count = 1; cpu = '16'; memory = '64Gi'; ephemeralStorage = '200Gi'; namePattern = 'medium-{0}' },
            @{ name = 'large'; count = 1; cpu = '64'; memory = '256Gi'; ephemeralStorage = '400Gi'; namePattern = 'large-{0}' }
        )
    }
    $script:Lab = Start-ClydeLab -ClusterFile (New-TestClusterFile -Spec $spec)
    $script:Kube = $script:Lab.KubeconfigPath
    $script:Headers = @{ Authorization = "Bearer $((Get-Content -Raw (Join-Path $script:Lab.StateDirectory 'token')).Trim())" }
    $script:WebhookDll = Join-Path (Split-Path $env:CLYDEPS_MODULE) 'FlexWebhook/ClydePS.FlexWebhook.dll'
    $script:FlexHost = $null

    function Invoke-Lab([string] $Method, [string] $Path, $Body) {
        $params = @{ Method = $Method; Uri = "$($script:Lab.Url)$Path"; Headers = $script:Headers; ContentType = 'application/json' }
        if ($null -ne $Body) { $params.Body = $Body | ConvertTo-Json -Depth 30 -Compress }
        Invoke-RestMethod @params
    }

    # Waits for a condition (a scriptblock returning a truthy value); fails with $Because when it never holds.
    function Wait-Condition([scriptblock] $Condition, [string] $Because, [int] $Seconds = 60) {
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        while ([DateTime]::UtcNow -lt $deadline) {
            $value = & $Condition
            if ($value) { return $value }
            Start-Sleep -Milliseconds 200
        }
        throw "Timed out waiting: $Because"
    }

    function Get-FreePort {
        $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $l.Start()
        try { return $l.LocalEndpoint.Port } finally { $l.Stop() }
    }

    # Starts the webhook host with the serving certificate from the Secret Install-ClydeFlexWebhook wrote.
    function Start-FlexHost([int] $Port) {
        $secret = Invoke-Lab GET '/api/v1/namespaces/flexdaemonsets-system/secrets/flexdaemonsets-webhook-tls'
        $dir = Join-Path $TestDrive "host-$Port"
        $null = New-Item -ItemType Directory -Force $dir
        foreach ($key in 'tls.crt', 'tls.key') {
            [IO.File]::WriteAllBytes((Join-Path $dir $key), [Convert]::FromBase64String($secret.data.$key))
        }
        $log = Join-Path $dir 'webhook.log'
        $p = Start-Process dotnet -PassThru -RedirectStandardOutput $log -RedirectStandardError (Join-Path $dir 'webhook.err') -ArgumentList @(
            $script:WebhookDll, '--listen', "127.0.0.1:$Port", '--tls-cert', (Join-Path $dir 'tls.crt'), '--tls-key', (Join-Path $dir 'tls.key'),
            '--kubeconfig', $script:Kube, '--parent-pid', $PID)
        $null = Wait-Condition -Because "the webhook host answers /readyz on port $Port" -Seconds 60 {
            try { (Invoke-WebRequest -SkipCertificateCheck -Uri "https://127.0.0.1:$Port/readyz").StatusCode -eq 200 } catch { $false }
        }
        return [pscustomobject]@{ Process = $p; Log = $log; Port = $Port }
    }

    function Get-HostLog { if ($script:FlexHost) { Get-Content -Raw $script:FlexHost.Log } else { '' } }

    function Get-DaemonSetPods([string] $Name) {
        @((Invoke-Lab GET "/api/v1/namespaces/default/pods?labelSelector=app%3D$Name").items)
    }

    function New-FlexDaemonSet([string] $Name, [string] $Template) {
        $null = Invoke-Lab POST '/apis/apps/v1/namespaces/default/daemonsets' @{
            apiVersion = 'apps/v1'; kind = 'DaemonSet'
            metadata   = @{ name = $Name; namespace = 'default' }
            spec       = @{
                selector = @{ matchLabels = @{ app = $Name } }
                template = @{
                    metadata = @{ labels = @{ app = $Name; 'flexdaemonsets.xai/enabled' = 'true' }; annotations = @{ 'flexdaemonsets.xai/resource-template' = $Template } }
                    spec     = @{ containers = @(@{ name = 'agent'; image = 'busybox:1.36'; command = @('sleep', '3600') }) }
                }
            }
        }
    }

    function New-TestPod([string] $Name, [hashtable] $Labels, [string] $Node = 'small-0') {
        Invoke-Lab POST '/api/v1/namespaces/default/pods' @{
            apiVersion = 'v1'; kind = 'Pod'
            metadata   = @{ name = $Name; labels = $Labels; annotations = @{ 'flexdaemonsets.xai/resource-template' = 'agents' } }
            spec       = @{ nodeName = $Node; containers = @(@{ name = 'c'; image = 'busybox:1.36'; command = @('sleep', '3600') }) }
        }
    }

    $script:Port = Get-FreePort
    $script:Url = "https://127.0.0.1:$($script:Port)/mutate-v1-pod"
}

AfterAll {
    if ($script:FlexHost -and -not $script:FlexHost.Process.HasExited) { Stop-Process -Id $script:FlexHost.Process.Id -ErrorAction Ignore }
    if ($script:Lab) { $script:Lab | Stop-ClydeLab }
}

Describe 'Install-ClydeFlexWebhook' {
    It 'shows what it would create with -WhatIf and creates nothing' {
        $r = Install-ClydeFlexWebhook -Kubeconfig $script:Kube -WebhookUrl $script:Url -WhatIf
        $r.Objects | Should -Contain 'MutatingWebhookConfiguration flexdaemonsets-webhook: not applied'
        { Invoke-Lab GET '/api/v1/namespaces/flexdaemonsets-system' } | Should -Throw
        { Invoke-Lab GET '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/flexdaemonsets-webhook' } | Should -Throw
    }

    It 'emits the in-cluster manifests with -AsManifest' {
        $yaml = Install-ClydeFlexWebhook -AsManifest -Image 'registry.example/flex:1' -FailurePolicy Ignore
        $yaml | Should -BeOfType [string]
        $yaml | Should -Match 'kind: CustomResourceDefinition'
        $yaml | Should -Match 'kind: Deployment'
        $yaml | Should -Match 'image: registry.example/flex:1'
        $yaml | Should -Match 'name: flexdaemonsets-webhook-svc'
        $yaml | Should -Match 'failurePolicy: Ignore'
        $yaml | Should -Match 'flexdaemonsets.xai/enabled: "?true"?'
        $yaml | Should -Match 'caBundle: \S+'
        $yaml | Should -Match 'clydeps.io/tls-sha256: [0-9a-f]{64}'
    }

    It 'rejects a webhook URL that is not https before contacting the cluster' {
        { Install-ClydeFlexWebhook -Kubeconfig $script:Kube -WebhookUrl 'http://127.0.0.1:1/mutate-v1-pod' -ErrorAction Stop } |
            Should -Throw -ErrorId 'ClydeFlexInvalidWebhookUrl*'
    }

    It 'installs the CRD, RBAC, TLS Secret and webhook configuration for an outside endpoint' {
        $r = Install-ClydeFlexWebhook -Kubeconfig $script:Kube -WebhookUrl $script:Url
        $r | Should -BeOfType ([ClydePS.ClydeFlexWebhook])
        $r.Endpoint | Should -Be $script:Url
        $r.CertificateIssued | Should -BeTrue
        $r.Image | Should -BeNullOrEmpty

        $crd = Invoke-Lab GET '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/flexdaemonsettemplates.flexdaemonsets.xai'
        $crd.spec.scope | Should -Be 'Cluster'
        $crd.spec.names.shortNames | Should -Be @('fdt')
        $mwc = Invoke-Lab GET '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/flexdaemonsets-webhook'
        $hook = $mwc.webhooks[0]
        $hook.clientConfig.url | Should -Be $script:Url
        $hook.failurePolicy | Should -Be 'Fail'
        $hook.objectSelector.matchLabels.'flexdaemonsets.xai/enabled' | Should -Be 'true'
        $secret = Invoke-Lab GET '/api/v1/namespaces/flexdaemonsets-system/secrets/flexdaemonsets-webhook-tls'
        # The configuration's CA bundle is the CA that signed the serving certificate.
        [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($hook.clientConfig.caBundle)) |
            Should -Be ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($secret.data.'ca.crt')))
        { Invoke-Lab GET '/apis/apps/v1/namespaces/flexdaemonsets-system/deployments/flexdaemonsets-webhook' } | Should -Throw
    }
}

Describe 'Flex templates' {
    It 'creates, gets and previews a template' {
        $t = New-ClydeFlexTemplate -Kubeconfig $script:Kube -Name agents -CpuPercentage 10 -MemoryPercentage 15 -StoragePercentage 5 -MinCpu 100m -MinMemory 128Mi
        $t | Should -BeOfType ([ClydePS.ClydeFlexTemplate])
        (Get-ClydeFlexTemplate -Kubeconfig $script:Kube -Name 'ag*').Name | Should -Be 'agents'
        $a = @(Get-ClydeFlexAllocation -Kubeconfig $script:Kube -Template agents)
        $a.Name | Should -Be @('large-0', 'medium-0', 'small-0')
        ($a | Where-Object Name -eq 'small-0').Cpu | Should -Be '392m'      # 10% of 3920m allocatable
        ($a | Where-Object Name -eq 'large-0').Cpu | Should -Be '6392m'     # 10% of 63920m
        @(Get-ClydeFlexAllocation -Kubeconfig $script:Kube -Template agents -Node small-0).Count | Should -Be 1
    }

    It 'rejects what the CRD rejects' {
        { New-ClydeFlexTemplate -Kubeconfig $script:Kube -Name bad -CpuPercentage 0 -MemoryPercentage 10 -StoragePercentage 10 } | Should -Throw
        { New-ClydeFlexTemplate -Kubeconfig $script:Kube -Name bad -CpuPercentage 10 -MemoryPercentage 10 -StoragePercentage 10 -MinMemory lots -ErrorAction Stop } |
            Should -Throw -ErrorId 'ClydeFlexInvalidQuantity*'
        # The API server's schema validation too, for objects written by other clients.
        { Invoke-Lab POST '/apis/flexdaemonsets.xai/v1alpha1/flexdaemonsettemplates' @{
                apiVersion = 'flexdaemonsets.xai/v1alpha1'; kind = 'FlexDaemonsetTemplate'; metadata = @{ name = 'bad' }
                spec = @{ cpuPercentage = 150; memoryPercentage = 10; storagePercentage = 10 } } } | Should -Throw
        { Get-ClydeFlexTemplate -Kubeconfig $script:Kube -Name bad -ErrorAction Stop } | Should -Throw -ErrorId 'ClydeFlexTemplateNotFound*'
    }
}

Describe 'The flex webhook on a Lab' {
    BeforeAll {
        $script:FlexHost = Start-FlexHost -Port $script:Port
    }

    It 'gives each DaemonSet pod resources in proportion to its node' {
        New-FlexDaemonSet -Name agent -Template agents
        $pods = Wait-Condition -Because 'the DaemonSet has a pod on each of the 3 nodes' {
            $p = Get-DaemonSetPods agent
            if ($p.Count -eq 3 -and @($p | Where-Object { $_.spec.nodeName }).Count -eq 3) { $p }
        }
        $expected = @{}
        foreach ($a in Get-ClydeFlexAllocation -Kubeconfig $script:Kube -Template agents) { $expected[$a.Name] = $a }
        foreach ($pod in $pods) {
            $node = $pod.spec.nodeName
            $res = $pod.spec.containers[0].resources
            $res.requests.cpu | Should -Be $expected[$node].Cpu -Because "the pod on $node gets 10% of its CPU"
            $res.limits.cpu | Should -Be $res.requests.cpu
            $res.requests.memory | Should -Be $expected[$node].Memory
            $res.limits.'ephemeral-storage' | Should -Be $expected[$node].EphemeralStorage
            $pod.metadata.annotations.'flexdaemonsets.xai/applied' | Should -Match "node=$node"
            # Created unbound by the DaemonSet controller: the node came from the matchFields affinity.
            $pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values | Should -Be @($node)
        }
        $cpu = @{}
        foreach ($pod in $pods) { $cpu[$pod.spec.nodeName] = $expected[$pod.spec.nodeName].CpuMillicores }
        $cpu['small-0'] | Should -Be 392
        $cpu['medium-0'] | Should -Be 1592
        $cpu['large-0'] | Should -Be 6392
        Get-HostLog | Should -Match 'Mutated \(template agents, node large-0, cpu 6392m'
    }

    It 'sizes the pods of a DaemonSet made by New-ClydeDaemonSet -FlexTemplate' {
        $ds = New-ClydeDaemonSet -Kubeconfig $script:Kube -Name sized -Image 'busybox:1.36' -FlexTemplate agents -Wait -Timeout 2m
        $ds.Available | Should -Be 3
        $expected = @{}
        foreach ($a in Get-ClydeFlexAllocation -Kubeconfig $script:Kube -Template agents) { $expected[$a.Name] = $a }
        foreach ($pod in @(Get-DaemonSetPods sized)) {
            $pod.metadata.labels.'flexdaemonsets.xai/enabled' | Should -Be 'true'
            $pod.spec.containers[0].resources.requests.cpu | Should -Be $expected[$pod.spec.nodeName].Cpu
        }
        { New-ClydeDaemonSet -Kubeconfig $script:Kube -Name bad -Image 'busybox:1.36' -FlexTemplate 'Not_Valid' -ErrorAction Stop } |
            Should -Throw -ErrorId 'ClydeInvalidFlexTemplate*'
    }

    It 'is never called for a pod without the label' {
        $null = New-TestPod -Name 'unlabelled' -Labels @{ app = 'plain' }
        $pod = Invoke-Lab GET '/api/v1/namespaces/default/pods/unlabelled'
        $pod.spec.containers[0].resources.requests | Should -BeNullOrEmpty
        # A labelled pod created after it is logged, so the log is current when it lacks the unlabelled one.
        $null = New-TestPod -Name 'labelled' -Labels @{ app = 'plain'; 'flexdaemonsets.xai/enabled' = 'true' }
        (Invoke-Lab GET '/api/v1/namespaces/default/pods/labelled').spec.containers[0].resources.requests.cpu | Should -Be '392m'
        $null = Wait-Condition -Because 'the host logged the labelled pod' { (Get-HostLog) -match 'pod default/labelled' }
        Get-HostLog | Should -Not -Match 'default/unlabelled'
    }

    It 'admits new pods unchanged when their template was deleted while the DaemonSet runs' {
        Remove-ClydeFlexTemplate -Kubeconfig $script:Kube -Name agents
        { Get-ClydeFlexTemplate -Kubeconfig $script:Kube -Name agents -ErrorAction Stop } | Should -Throw -ErrorId 'ClydeFlexTemplateNotFound*'
        $old = Get-DaemonSetPods agent | Where-Object { $_.spec.nodeName -eq 'medium-0' }
        $null = Invoke-Lab DELETE "/api/v1/namespaces/default/pods/$($old.metadata.name)?gracePeriodSeconds=0"
        $new = Wait-Condition -Because 'the DaemonSet controller replaces the deleted pod' {
            Get-DaemonSetPods agent | Where-Object { $_.spec.nodeName -eq 'medium-0' -and $_.metadata.uid -ne $old.metadata.uid -and -not $_.metadata.deletionTimestamp }
        }
        $new.spec.containers[0].resources.requests | Should -BeNullOrEmpty
        $null = Wait-Condition -Because 'the host logged the missing template' { (Get-HostLog) -match 'TemplateMissing' }
        # The pods on the other nodes keep what they were given.
        (Get-DaemonSetPods agent | Where-Object { $_.spec.nodeName -eq 'large-0' }).spec.containers[0].resources.requests.cpu | Should -Be '6392m'
    }

    It 'serves health endpoints and answers a malformed review with 400' {
        $base = "https://127.0.0.1:$($script:FlexHost.Port)"
        (Invoke-WebRequest -SkipCertificateCheck -Uri "$base/healthz").StatusCode | Should -Be 200
        $r = Invoke-WebRequest -SkipCertificateCheck -Method Post -Uri "$base/mutate-v1-pod" -ContentType 'application/json' -Body '{"kind":"AdmissionReview"}' -SkipHttpErrorCheck
        $r.StatusCode | Should -Be 400
    }

    It 'blocks opted-in pods under Fail and admits them unchanged under Ignore when the webhook is down' {
        Stop-Process -Id $script:FlexHost.Process.Id
        $script:FlexHost.Process.WaitForExit()
        $err = { New-TestPod -Name 'while-down' -Labels @{ 'flexdaemonsets.xai/enabled' = 'true' } } | Should -Throw -PassThru
        "$err $($err.ErrorDetails)" | Should -Match 'failed calling webhook'
        # Unlabelled pods are never affected.
        (New-TestPod -Name 'unaffected' -Labels @{ app = 'x' }).metadata.name | Should -Be 'unaffected'

        $r = Install-ClydeFlexWebhook -Kubeconfig $script:Kube -WebhookUrl $script:Url -FailurePolicy Ignore
        $r.CertificateIssued | Should -BeFalse -Because 'a re-run keeps a certificate that is far from expiry'
        (Invoke-Lab GET '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/flexdaemonsets-webhook').webhooks[0].failurePolicy | Should -Be 'Ignore'
        $pod = New-TestPod -Name 'while-down' -Labels @{ 'flexdaemonsets.xai/enabled' = 'true' }
        $pod.spec.containers[0].resources.requests | Should -BeNullOrEmpty
    }
}

Describe 'Install-ClydeFlexWebhook in the cluster' {
    It 'switches to a Deployment and Service with a certificate for the Service name' {
        $r = Install-ClydeFlexWebhook -Kubeconfig $script:Kube -Image 'registry.example/flex:2'
        $r.CertificateIssued | Should -BeTrue -Because 'the old certificate was for 127.0.0.1'
        $r.Endpoint | Should -Be 'https://flexdaemonsets-webhook-svc.flexdaemonsets-system.svc:443/mutate-v1-pod'
        $d = Invoke-Lab GET '/apis/apps/v1/namespaces/flexdaemonsets-system/deployments/flexdaemonsets-webhook'
        $d.spec.template.spec.containers[0].image | Should -Be 'registry.example/flex:2'
        $d.spec.template.spec.volumes[0].secret.secretName | Should -Be 'flexdaemonsets-webhook-tls'
        (Invoke-Lab GET '/api/v1/namespaces/flexdaemonsets-system/services/flexdaemonsets-webhook-svc').spec.ports[0].targetPort | Should -Be 9443
        $cc = (Invoke-Lab GET '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/flexdaemonsets-webhook').webhooks[0].clientConfig
        $cc.url | Should -BeNullOrEmpty
        $cc.service.name | Should -Be 'flexdaemonsets-webhook-svc'
        $cc.service.path | Should -Be '/mutate-v1-pod'
    }
}

Describe 'Uninstall-ClydeFlexWebhook' {
    It 'removes the webhook and, with -IncludeCrd, the CRD' {
        Uninstall-ClydeFlexWebhook -Kubeconfig $script:Kube -IncludeCrd -Force
        { Invoke-Lab GET '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/flexdaemonsets-webhook' } | Should -Throw
        { Invoke-Lab GET '/api/v1/namespaces/flexdaemonsets-system/secrets/flexdaemonsets-webhook-tls' } | Should -Throw
        { Invoke-Lab GET '/apis/apps/v1/namespaces/flexdaemonsets-system/deployments/flexdaemonsets-webhook' } | Should -Throw
        { Invoke-Lab GET '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/flexdaemonsettemplates.flexdaemonsets.xai' } | Should -Throw
        { Get-ClydeFlexTemplate -Kubeconfig $script:Kube -ErrorAction Stop } | Should -Throw -ErrorId 'ClydeFlexCrdNotInstalled*'
    }
}
