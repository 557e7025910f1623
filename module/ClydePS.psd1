@{
    # ModuleVersion is stamped by build.ps1 from Directory.Build.props (<ClydePSVersion>), the one place
    # the version is kept; this source file is never imported directly.
    RootModule           = 'ClydePS.dll'
    ModuleVersion        = '0.0.0'
    GUID                 = '6f0c3a52-3d3e-4a4b-9a86-0c7a5d2b9c11'
    Author               = 'ClydePS contributors'
    CompanyName          = 'ClydePS'
    Copyright            = '(c) ClydePS contributors. Apache-2.0.'
    Description          = 'Gets multi-gigabyte container images onto every node of a Kubernetes cluster fast (network-aware, probe-driven seeding), then rolls out the workload that needs them.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('ClydePS.format.ps1xml')
    TypesToProcess       = @('ClydePS.types.ps1xml')
    CmdletsToExport      = @(
        'Export-ClydeRolloutReport'
        'Get-ClydeFlexAllocation'
        'Get-ClydeFlexTemplate'
        'Get-ClydeImage'
        'Get-ClydeMesh'
        'Get-ClydeNodeImage'
        'Get-ClydeNodeNetwork'
        'Get-ClydeSeeder'
        'Install-ClydeFlexWebhook'
        'Invoke-ClydeSeedSimulation'
        'Invoke-ClydeSnapshot'
        'Measure-ClydeRegistryProbe'
        'New-ClydeDaemonSet'
        'New-ClydeFlexTemplate'
        'New-ClydeMesh'
        'Remove-ClydeFlexTemplate'
        'Remove-ClydeLeftover'
        'Remove-ClydeMesh'
        'Remove-ClydeSeeder'
        'Set-ClydeMesh'
        'Set-ClydeSeeder'
        'Start-ClydeLab'
        'Start-ClydePrePull'
        'Start-ClydeSeed'
        'Stop-ClydeLab'
        'Uninstall-ClydeFlexWebhook'
        'Wait-ClydeRollout'
        'Watch-ClydeSeeder'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Kubernetes', 'DaemonSet', 'ImagePull', 'P2P', 'Seeding', 'Linux', 'Windows', 'MacOS')
            LicenseUri   = 'https://www.apache.org/licenses/LICENSE-2.0'
            ProjectUri   = 'https://github.com/clydeps/ClydePS'
            ReleaseNotes = 'Foundation: Get-ClydeNodeNetwork, the Lab (Start-ClydeLab, Stop-ClydeLab).'
        }
    }
}
