import BookingAPI
import BookingEngine
import BookingIntegrations
import Foundation
import Logging
import Mailer

/// Builds the side-effect subscribers from the environment, for `serve` and `deliveries retry`.
enum SideEffectsSetup {
    /// The CRM channel, or `nil` when `CRM_SERVICE_URL` is unset.
    static func crmChannel(
        environment: [String: String], secrets: SecretsConfiguration, dataDirectory: String, logger: Logger
    ) throws -> (channel: CRMChannel, policy: RetryPolicy)? {
        guard
            let configuration = try CRMConfiguration.fromEnvironment(
                environment, bearerToken: secrets.crmBearerToken, isProduction: secrets.isProduction, dataDirectory: dataDirectory)
        else { return nil }
        return (try CRMChannel(configuration: configuration, logger: logger), configuration.retry)
    }

    /// The e-mail channel: SMTP when `SMTP_SERVER` is set, the `DATA-DIR/outbox` folder otherwise, so it
    /// is always on.
    static func emailChannel(
        environment: [String: String], dataDirectory: String
    ) throws -> (channel: EmailChannel, policy: RetryPolicy, description: String) {
        let configuration = try MailerConfiguration(environment: environment, dataDirectory: dataDirectory)
        return (
            EmailChannel(mailer: configuration.makeMailer(), sender: configuration.sender),
            try RetryPolicy(environment: environment, prefix: "EMAIL"), configuration.description
        )
    }

    /// Every subscriber `serve` runs, with their shared delivery store under `DATA-DIR/deliveries`.
    static func make(
        environment: [String: String], secrets: SecretsConfiguration, dataDirectory: String, service: BookingService, logger: Logger
    ) throws -> SideEffects {
        let store = try DeliveryStore(dataDirectory: dataDirectory)
        var sideEffects = SideEffects()
        if let crm = try crmChannel(environment: environment, secrets: secrets, dataDirectory: dataDirectory, logger: logger) {
            sideEffects.add(
                DeliveryWorker(channel: crm.channel, log: service.log, projection: service.projection, store: store, policy: crm.policy, logger: logger),
                store: store)
            logger.info("CRM webhook on", metadata: ["subscriber": "crm"])
        } else {
            sideEffects.addDisabled(name: "crm", reason: "CRM_SERVICE_URL is not set", store: store)
        }
        let email = try emailChannel(environment: environment, dataDirectory: dataDirectory)
        sideEffects.add(
            DeliveryWorker(channel: email.channel, log: service.log, projection: service.projection, store: store, policy: email.policy, logger: logger),
            store: store)
        logger.info("e-mail on", metadata: ["subscriber": "email", "transport": "\(email.description)"])
        return sideEffects
    }
}
