namespace ClydePS.Engine.Seeders;

/// <summary>Stable ErrorIds of the seeder pool. Never rename one: scripts match on them.</summary>
public static class SeederErrorIds
{
    public const string InvalidLabel = "ClydeInvalidSeederLabel";
    public const string InvalidPercentage = "ClydeInvalidSeederPercentage";
    public const string NoEligibleNodes = "ClydeNoEligibleNodes";
    public const string TrackerLocked = "ClydeSeederTrackerLocked";
    public const string TrackerUnreadable = "ClydeSeederTrackerUnreadable";
    public const string TrackerUnwritable = "ClydeSeederTrackerUnwritable";
    public const string TrackerCorrupt = "ClydeSeederTrackerCorrupt";
    public const string NodeNotFound = "ClydeNodeNotFound";
    public const string LabelFailed = "ClydeSeederLabelFailed";
    public const string InvalidImageList = "ClydeInvalidImageList";
    public const string NoImages = "ClydeNoImages";
    public const string ImageFileNotFound = "ClydeImageFileNotFound";
    public const string ImageFileUnreadable = "ClydeImageFileUnreadable";
    public const string LogUnwritable = "ClydeLogUnwritable";
    public const string NoSeeders = "ClydeNoSeeders";
    public const string InvalidThrottleLimit = "ClydeInvalidThrottleLimit";
    public const string PrePullFailed = "ClydePrePullFailed";
}
