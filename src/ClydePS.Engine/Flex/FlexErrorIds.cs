namespace ClydePS.Engine.Flex;

/// <summary>Stable ErrorIds of the flex cmdlets. Never rename one: scripts match on them.</summary>
public static class FlexErrorIds
{
    public const string InvalidQuantity = "ClydeFlexInvalidQuantity";
    public const string InvalidPercentage = "ClydeFlexInvalidPercentage";
    public const string InvalidTemplate = "ClydeFlexInvalidTemplate";
    public const string TemplateNotFound = "ClydeFlexTemplateNotFound";
    public const string CrdNotInstalled = "ClydeFlexCrdNotInstalled";
    public const string NodeNotFound = "ClydeNodeNotFound";
    public const string InvalidWebhookUrl = "ClydeFlexInvalidWebhookUrl";
}
